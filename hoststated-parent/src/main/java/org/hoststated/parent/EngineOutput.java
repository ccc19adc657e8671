package org.hoststated.parent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.log.Severity;
import org.hoststated.core.log.Visible;
import org.hoststated.core.posix.Fds;
import org.slf4j.event.Level;

/**
 * What an engine writes on its standard output and error, copied into the parent's log line by
 * line under the engine's name. The engines do not share the parent's descriptors 0-2: under
 * {@code -d} those are the operator's terminal, which an engine (the unprivileged user, in its
 * chroot) could read keystrokes from or write terminal escapes to (probe G of session 56). An
 * engine's fd 0 is /dev/null and its fds 1 and 2 are one end of a socketpair whose other end a
 * thread of the parent reads here, until the engine has exited.
 *
 * <p>An engine run with {@code -d} writes its log lines there ("hce: host ... is up"). Its name
 * before a line is taken off and the parent's log puts it back, so an engine cannot write a
 * line under another process's name. Whatever else an engine writes (the JVM's own messages: a
 * crash, a flag it refuses) goes on under its name too, a warning; a detached daemon sends it to
 * syslog, where before it went to the terminal the daemon had left. Control characters are
 * escaped as in every log line; a line longer than {@value #MAX_LINE} bytes goes in pieces. The
 * body of a JVM crash report goes to a file of its own ({@link CrashReport}).
 *
 * <p>The thread blocks in read(2) and holds up no event loop. The parent's log queues what it
 * is given and drops lines with a count when its reader stalls, so a stalled terminal no longer
 * makes the engines' writer threads wait: the parent drops instead.
 */
final class EngineOutput {
    /** Where the lines go: the engine's name, the line's level, the escaped line. */
    interface Log {
        void line(String procName, Level level, String text);
    }

    /** The longest piece of a line logged as one. */
    static final int MAX_LINE = 8192;

    private final String procName;
    private final String prefix;
    private final int fd;
    private final Log log;
    /** Where a crash report's body is kept, and the engine's pid that names its file. */
    private final Path crashDir;
    private final long pid;
    /** The JVM has said that it crashed: the body of its report follows its summary. */
    private boolean crashed;
    private CrashReport report;
    private final byte[] line = new byte[MAX_LINE];
    private int length;
    private final Thread reader;

    private EngineOutput(String procName, int fd, long pid, Path crashDir, Log log) {
        this.procName = procName;
        this.pid = pid;
        this.crashDir = crashDir;
        this.prefix = procName + ": ";
        this.fd = fd;
        this.log = log;
        this.reader = new Thread(this::copy, procName + "-output");
        reader.setDaemon(true); // awaitEnd is the wait for it
    }

    /**
     * Starts copying from {@code fd} (the parent's end of the engine's output; this takes it
     * over and closes it at end of file) to the parent's log.
     */
    static EngineOutput start(String procName, int fd, long pid) {
        return start(procName, fd, pid, CRASH_DIR, LogConfig::writeAs);
    }

    /** Where the body of an engine's crash report is kept. */
    static final Path CRASH_DIR = Path.of("/var/tmp");

    /**
     * As {@link #start(String, int, long)}, to {@code log} (process name, escaped line), a crash
     * report's body to {@code crashDir}.
     */
    static EngineOutput start(String procName, int fd, long pid, Path crashDir, Log log) {
        EngineOutput out = new EngineOutput(procName, fd, pid, crashDir, log);
        out.reader.start();
        return out;
    }

    /**
     * Waits, at most {@code limit}, until everything the engine wrote is logged: after its exit,
     * so that its last lines come before the parent's own exit.
     */
    void awaitEnd(Duration limit) throws InterruptedException {
        reader.join(Math.max(1, limit.toMillis()));
    }

    private void copy() {
        byte[] buf = new byte[4096];
        try {
            int n;
            while ((n = Fds.read(fd, buf)) > 0) {
                take(buf, n);
            }
        } catch (IOException e) {
            warn("reading its output: " + e.getMessage());
        } finally {
            emit();
            Fds.close(fd);
            closeReport();
        }
    }

    private void closeReport() {
        if (report == null) {
            return;
        }
        try {
            report.close();
        } catch (IOException e) {
            warn("its crash report " + report.file() + ": " + e.getMessage());
        }
        warn("its crash report, " + report.lines() + " lines, is in " + report.file()
                + " (readable by root only)");
    }

    private void take(byte[] buf, int n) {
        for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                emit();
            } else {
                if (length == MAX_LINE) {
                    emit();
                }
                line[length++] = buf[i];
            }
        }
    }

    private void warn(String text) {
        log.line(procName, Level.WARN, text);
    }

    /**
     * The level an engine's log line gives itself by a syslog priority before its name
     * ({@code <4>relay: ...}, {@link LogConfig#init}), or null.
     */
    private Level priority(String text) {
        return text.startsWith(prefix, 3) ? Severity.ofPrefix(text) : null;
    }

    /** Logs the line gathered so far, if any. */
    private void emit() {
        if (length == 0) {
            return;
        }
        String text = new String(line, 0, length, StandardCharsets.UTF_8);
        length = 0;
        // The engine's own lines keep their level (the journal files them by it); whatever
        // else it writes is a warning.
        Level level = priority(text);
        if (level != null) {
            text = text.substring(3);
        } else {
            level = Level.WARN;
        }
        if (text.startsWith(prefix)) {
            text = text.substring(prefix.length());
        }
        if (report != null && keep(text)) {
            return;
        }
        if (text.startsWith(CrashReport.FATAL)) {
            crashed = true;
        } else if (crashed && report == null && text.startsWith(CrashReport.PART)) {
            try {
                report = CrashReport.open(crashDir, procName, pid);
                warn("the rest of its crash report goes to " + report.file());
                if (keep(text)) {
                    return;
                }
            } catch (IOException | UnsupportedOperationException e) {
                warn("cannot keep its crash report in " + crashDir + ": " + e.getMessage()
                        + "; it follows here");
                crashed = false;
            }
        }
        log.line(procName, level, Visible.escape(text));
    }

    /** Writes {@code text} to the crash report; false (and no report from now on) when it cannot. */
    private boolean keep(String text) {
        try {
            report.line(text);
            return true;
        } catch (IOException e) {
            warn("its crash report " + report.file() + ": " + e.getMessage() + "; it goes on here");
            closeReport();
            report = null;
            crashed = false;
            return false;
        }
    }
}
