package org.hoststated.ctl;

import io.netty.util.internal.logging.AbstractInternalLogger;
import io.netty.util.internal.logging.InternalLogger;
import io.netty.util.internal.logging.InternalLoggerFactory;

/**
 * netty's logging, switched off for hoststatectl. netty would otherwise look for slf4j and
 * log4j (not on the CLI's class path; each failed probe costs class verification) and then set
 * up java.util.logging, which together take longer than the rest of a {@code show summary}.
 * netty-buffer logs only debug details about its own set-up, which the CLI never shows.
 */
final class QuietLoggerFactory extends InternalLoggerFactory {
    static final QuietLoggerFactory INSTANCE = new QuietLoggerFactory();

    private QuietLoggerFactory() {
    }

    @Override
    protected InternalLogger newInstance(String name) {
        return new QuietLogger(name);
    }

    private static final class QuietLogger extends AbstractInternalLogger {
        private static final long serialVersionUID = 1L;

        QuietLogger(String name) {
            super(name);
        }

        @Override public boolean isTraceEnabled() { return false; }
        @Override public void trace(String msg) { }
        @Override public void trace(String format, Object arg) { }
        @Override public void trace(String format, Object a, Object b) { }
        @Override public void trace(String format, Object... args) { }
        @Override public void trace(String msg, Throwable t) { }
        @Override public boolean isDebugEnabled() { return false; }
        @Override public void debug(String msg) { }
        @Override public void debug(String format, Object arg) { }
        @Override public void debug(String format, Object a, Object b) { }
        @Override public void debug(String format, Object... args) { }
        @Override public void debug(String msg, Throwable t) { }
        @Override public boolean isInfoEnabled() { return false; }
        @Override public void info(String msg) { }
        @Override public void info(String format, Object arg) { }
        @Override public void info(String format, Object a, Object b) { }
        @Override public void info(String format, Object... args) { }
        @Override public void info(String msg, Throwable t) { }
        @Override public boolean isWarnEnabled() { return false; }
        @Override public void warn(String msg) { }
        @Override public void warn(String format, Object arg) { }
        @Override public void warn(String format, Object a, Object b) { }
        @Override public void warn(String format, Object... args) { }
        @Override public void warn(String msg, Throwable t) { }
        @Override public boolean isErrorEnabled() { return false; }
        @Override public void error(String msg) { }
        @Override public void error(String format, Object arg) { }
        @Override public void error(String format, Object a, Object b) { }
        @Override public void error(String format, Object... args) { }
        @Override public void error(String msg, Throwable t) { }
    }
}
