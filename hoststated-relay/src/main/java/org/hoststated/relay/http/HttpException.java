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
    private final String page;

    HttpException(int status, String reason) {
        this(status, reason, false, null, reason);
    }

    /**
     * @param page what the error page says, where the reason holds what only the operator
     *        should read (the address of a host)
     */
    HttpException(int status, String reason, String page) {
        this(status, reason, false, null, page);
    }

    /**
     * @param rule refused by a protocol rule ({@code expect}, {@code filter}): answered with an
     *        error page only under {@code return error}, else the connection is just closed
     *        (as relayd did)
     * @param label the refusing rule's {@code label}, shown on that page; or null
     */
    HttpException(int status, String reason, boolean rule, String label) {
        this(status, reason, rule, label, reason);
    }

    /** As above, with an error page that says {@code page} rather than the reason. */
    HttpException(int status, String reason, boolean rule, String label, String page) {
        super(reason, null, false, false);
        this.status = status;
        this.rule = rule;
        this.label = label;
        this.page = page;
    }

    /** What the error page ({@code return error}) says went wrong. */
    String page() {
        return page;
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
