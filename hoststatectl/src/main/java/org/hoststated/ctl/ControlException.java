package org.hoststated.ctl;

import org.hoststated.core.msg.Imsg;

/**
 * Why a command could not be carried out: the daemon is unreachable, closed the connection,
 * timed out or answered something malformed. Its message is the one line hoststatectl prints
 * after {@code hoststatectl: }; it carries no stack trace.
 */
final class ControlException extends Exception {
    private static final long serialVersionUID = 1L;

    ControlException(String message) {
        super(message, null, false, false);
    }

    /** Standard output is a pipe whose reader has gone: nothing to say, as for ls or ps. */
    static final String READER_GONE = "reader of standard output gone";

    /** Whether this is the {@link #READER_GONE} failure, which is not printed. */
    boolean readerGone() {
        return READER_GONE.equals(getMessage());
    }

    static ControlException badReply(String why) {
        return new ControlException("bad reply from daemon: " + why);
    }

    static ControlException unexpected(Imsg m) {
        return badReply("unexpected " + m.type().logName());
    }
}
