package org.hoststated.ctl;

import org.hoststated.core.msg.Imsg;

/**
 * Why a command could not be carried out: the daemon is unreachable, closed the connection,
 * timed out or answered something malformed. Its message is the one line hoststatectl prints
 * after {@code hoststatectl: }; it carries no stack trace.
 */
final class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Whether standard output's reader has gone: nothing to say, as for ls or ps. */
    private final boolean readerGone;

    ControlException(String message) {
        this(message, false);
    }

    private ControlException(String message, boolean readerGone) {
        super(message, null, false, false);
        this.readerGone = readerGone;
    }

    /** Standard output is a pipe whose reader has gone: ends the command without a word. */
    static ControlException readerGone() {
        return new ControlException("reader of standard output gone", true);
    }

    /** Whether this is the {@link #readerGone()} failure, which is not printed. */
    boolean isReaderGone() {
        return readerGone;
    }

    static ControlException badReply(String why) {
        return new ControlException("bad reply from daemon: " + why);
    }

    static ControlException unexpected(Imsg m) {
        return badReply("unexpected " + m.type().logName());
    }
}
