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

    /**
     * Writes one line another process wrote (an engine's output, which the parent copies): on
     * stderr under that process's name; to syslog with the name before it.
     *
     * @param message one line, escaped, without the process name
     */
    default void writeAs(String procName, Level level, String message) {
        write(level, procName + ": " + message, null);
    }

    /** What a line of {@code level} that the program prints itself begins with here: "" but for the journal. */
    default String priorityPrefix(Level level) {
        return "";
    }

    void flush();

    void close();
}
