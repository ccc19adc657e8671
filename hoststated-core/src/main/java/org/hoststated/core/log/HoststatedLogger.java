package org.hoststated.core.log;

import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;

/**
 * One slf4j logger; formats the event and hands it to the current {@link LogConfig} sink. Used in
 * every process through {@code LoggerFactory.getLogger(X.class)}.
 *
 * <p>The caller writes relayd-style lower-case text; this class only substitutes {@code {}} and
 * appends a throwable's own message after a colon ("connect failed: Connection refused"), with
 * no stack trace unless verbose. A throwable given as the last argument beyond the placeholders is
 * the event's cause, as in slf4j; one that fills a placeholder is written as its message.
 * Control characters are escaped, so a peer's text cannot forge log lines.
 */
final class HoststatedLogger extends LegacyAbstractLogger {
    private static final long serialVersionUID = 1L;
    private final boolean own;

    HoststatedLogger(String name) {
        this.name = name;
        this.own = name.startsWith("org.hoststated.");
    }

    @Override
    public boolean isTraceEnabled() {
        return false;
    }

    @Override
    public boolean isDebugEnabled() {
        return LogConfig.levelEnabled(Level.DEBUG, own);
    }

    @Override
    public boolean isInfoEnabled() {
        return true;
    }

    @Override
    public boolean isWarnEnabled() {
        return true;
    }

    @Override
    public boolean isErrorEnabled() {
        return true;
    }

    @Override
    protected String getFullyQualifiedCallerName() {
        return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] args,
                                               Throwable throwable) {
        if (!LogConfig.levelEnabled(level, own)) {
            return;
        }
        LogFormatter.Event event = LogFormatter.format(pattern, args, throwable);
        LogConfig.sink().write(level, event.message(), event.throwable());
    }
}
