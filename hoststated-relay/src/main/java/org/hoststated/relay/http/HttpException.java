package org.hoststated.relay.http;

/**
 * A message the HTTP relay refuses: the status to answer (400, 413, 502, ...) and the reason
 * for the session's log line. Bad input is data, not a bug, so no stack trace is filled in.
 * Thrown by the parsers on the session's worker loop and caught by the session's handlers.
 */
final class HttpException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final boolean rule;
    private final String label;

    HttpException(int status, String reason) {
        this(status, reason, false, null);
    }

    /**
     * @param rule refused by a protocol rule ({@code expect}, {@code filter}): answered with an
     *        error page only under {@code return error}, else the connection is just closed
     *        (as relayd did)
     * @param label the refusing rule's {@code label}, shown on that page; or null
     */
    HttpException(int status, String reason, boolean rule, String label) {
        super(reason, null, false, false);
        this.status = status;
        this.rule = rule;
        this.label = label;
    }

    String label() {
        return label;
    }

    boolean rule() {
        return rule;
    }

    int status() {
        return status;
    }
}
