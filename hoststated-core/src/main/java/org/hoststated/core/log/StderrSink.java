package org.hoststated.core.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import org.slf4j.event.Level;

/**
 * Writes "procname: message" lines to fd 2, for {@code hoststated -d} and hoststatectl. Each event
 * is one write(2) of the whole line, unbuffered, so lines of the four processes sharing a terminal
 * or pipe do not interleave (a pipe write up to 4096 bytes is atomic). In verbose mode a
 * throwable's stack trace follows its line.
 */
final class StderrSink implements LogSink {
    private final String procName;
    private final OutputStream out;
    private final Object lock = new Object();
    private boolean broken; // guarded by lock

    StderrSink(String procName) {
        this(procName, new FileOutputStream(FileDescriptor.err));
    }

    /** For tests: writes to {@code out}, which must be unbuffered like fd 2. */
    StderrSink(String procName, OutputStream out) {
        this.procName = procName;
        this.out = out;
    }

    @Override
    public void write(Level level, String message, Throwable throwable) {
        StringBuilder line = new StringBuilder(procName.length() + message.length() + 3);
        line.append(procName).append(": ").append(message).append('\n');
        if (throwable != null && LogConfig.isVerbose()) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (lock) {
            if (broken) {
                return;
            }
            try {
                out.write(bytes);
            } catch (IOException e) {
                // stderr is gone (closed terminal, EPIPE): there is nowhere left to report it
                broken = true;
            }
        }
    }

    @Override
    public void flush() {
        // unbuffered: every write already reached the kernel
    }

    @Override
    public void close() {
        // fd 2 belongs to the process, not to this sink
    }
}
