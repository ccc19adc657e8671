package org.hoststated.core.log;

import java.nio.file.Path;
import java.util.Objects;

import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.slf4j.event.Level;

/**
 * Where and how much every hoststated process logs: set once at process start by parent, pfe,
 * hce and relay (hoststatectl keeps the default, direct writes to stderr), and switched at run
 * time by {@code hoststatectl log verbose|brief}.
 *
 * <p>As relayd: to stderr when running in the foreground ({@code -d}), otherwise to syslog
 * (facility daemon, ident "hoststated"), never both. The syslog socket is connected to /dev/log
 * here, before chroot, and kept; if /dev/log is missing or the syslog daemon restarted, messages
 * are counted and lost until a socket is connected again (see {@link SyslogSink}): logging never
 * throws and never blocks on syslog. On stderr each line starts with the
 * process name ("hce: ..."), because with {@code -d} all four processes share one terminal; a
 * daemon's lines go through a writer thread, so a stalled reader never blocks the logging
 * thread either (see {@link StderrSink}).
 *
 * <p>Debug is shown only in verbose mode and only for hoststated's own loggers (org.hoststated.*);
 * third-party libraries (Netty) log info, warn and error. Trace is never shown.
 *
 * <p>The state is static because slf4j finds its provider through ServiceLoader and has no way to
 * hand it constructor arguments; it is one immutable snapshot swapped by reference.
 */
public final class LogConfig {
    /** The syslog socket of Linux and OpenBSD. */
    public static final Path DEV_LOG = Path.of("/dev/log");

    private static volatile LogSink sink = new StderrSink("hoststated");
    /** The process names of the engines, whose stderr the parent reads. */
    private static final java.util.Set<String> ENGINES = java.util.Set.of("pfe", "hce", "relay");
    private static volatile boolean verbose;

    private LogConfig() {
    }

    /**
     * Sets up logging for this process; call first thing in main. Calling it again replaces the
     * previous set-up (and closes its syslog socket).
     *
     * @param ident the syslog ident, "hoststated"
     * @param procName "parent", "pfe", "hce" or "relay"
     * @param toStderr true for stderr (-d and -n), false for syslog
     * @param verbose whether debug lines are shown
     */
    public static void init(String ident, String procName, boolean toStderr, boolean verbose) {
        init(ident, procName, toStderr, verbose, DEV_LOG);
    }

    /** As {@link #init(String, String, boolean, boolean)}, with another syslog socket (tests). */
    public static synchronized void init(String ident, String procName, boolean toStderr, boolean verbose,
                                         Path syslogPath) {
        Objects.requireNonNull(ident, "ident");
        Objects.requireNonNull(procName, "procName");
        // An engine's stderr is the parent's (EngineOutput), which reads each line's priority.
        LogSink next = toStderr ? StderrSink.queued(procName, ENGINES.contains(procName)) : SyslogSink.open(ident, syslogPath);
        LogSink previous = sink;
        LogConfig.verbose = verbose;
        sink = next;
        previous.close();
    }

    /**
     * Whether a syslog daemon listens on /dev/log now: a daemon that detaches without one
     * logs nowhere until one starts.
     */
    public static boolean syslogListening() {
        UnixDatagramSocket s = SyslogSink.connect(DEV_LOG);
        if (s == null) {
            return false;
        }
        SyslogSink.closeQuietly(s);
        return true;
    }

    /**
     * Sets what asks for a socket to the syslog daemon when the one connected at start-up is
     * lost (the daemon restarted) and /dev/log cannot be reached (the chroot): an engine asks
     * its parent, which passes one ({@link #adoptSyslog}). It runs under the sink's lock, on
     * whichever thread logged, and must not log.
     */
    public static void onSyslogLost(Runnable ask) {
        if (sink instanceof SyslogSink s) {
            s.onLost(ask);
        }
    }

    /** Takes {@code fd}, a datagram socket connected to the syslog daemon, for the lost one. */
    public static void adoptSyslog(int fd) {
        if (sink instanceof SyslogSink s) {
            s.adopt(UnixDatagramSocket.adopt(fd));
        } else {
            Fds.close(fd);
        }
    }

    /** Turns debug lines on or off at run time. */
    public static void setVerbose(boolean on) {
        verbose = on;
    }

    public static boolean isVerbose() {
        return verbose;
    }

    /**
     * Before an exit: sends what the syslog sink still holds (its daemon was behind or away),
     * as far as the daemon takes it, without blocking; or waits, for at most two seconds, for
     * the stderr writer to write what is queued.
     */
    public static void flush() {
        sink.flush();
    }

    /**
     * Writes a line of another process's output (an engine's stdout or stderr, read by the
     * parent) to this process's log, as a warning under that process's name.
     *
     * @param message one line, already escaped ({@link Visible#escape})
     */
    public static void writeAs(String procName, String message) {
        sink.writeAs(procName, Level.WARN, message);
    }

    /**
     * What a line of {@code level} the program writes to stderr itself (the configuration's
     * diagnostics at start) begins with: its priority when stderr is the journal's stream, so
     * the journal files it as the log's lines (probe CA), else "".
     */
    public static String priorityPrefix(Level level) {
        return sink.priorityPrefix(level);
    }

    /** As {@link #writeAs(String, String)}, at {@code level} (an engine's own line). */
    public static void writeAs(String procName, Level level, String message) {
        if (levelEnabled(level, true)) {
            sink.writeAs(procName, level, message);
        }
    }

    static LogSink sink() {
        return sink;
    }

    static boolean levelEnabled(Level level, boolean ownLogger) {
        return switch (level) {
            case ERROR, WARN, INFO -> true;
            case DEBUG -> verbose && ownLogger;
            case TRACE -> false;
        };
    }
}
