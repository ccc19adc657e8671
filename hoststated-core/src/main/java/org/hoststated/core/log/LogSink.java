package org.hoststated.core.log;

import org.slf4j.event.Level;

/** Where formatted log lines go: stderr or syslog. Implementations are thread-safe and never throw. */
interface LogSink {
    /**
     * Writes one event.
     *
     * @param message the formatted message, one line, without the process name
     * @param throwable the cause, or null; its text is already in {@code message}; a sink may add
     *     the stack trace in verbose mode
     */
    void write(Level level, String message, Throwable throwable);

    void flush();

    void close();
}
