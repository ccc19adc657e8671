package org.hoststated.relay.http;

/**
 * The bounds an HTTP relay session works within. Immutable; one per relay. The number of
 * sessions is bounded for the whole engine by {@code SessionLimit}, whose clients over the
 * bound {@link HttpRelayInitializer} answers with a 503.
 *
 * @param maxHeadBytes largest request or response head (start line, header fields and the
 *        blank line) or chunked trailer section; a larger request head gets 431 (414 while
 *        its request line has not ended), a larger response head 502
 * @param maxHeaderFields most header fields in one head
 * @param headTimeoutMs how long a client may take to send one request head once it started
 *        (and the first one after connecting): a slow sender gets 408
 */
public record HttpLimits(int maxHeadBytes, int maxHeaderFields, long headTimeoutMs) {
    /** 16 KiB heads (nginx and HAProxy default to 8-16 KiB), 100 fields, 10 s. */
    public static final HttpLimits DEFAULTS = new HttpLimits(16 * 1024, 100, 10_000);

    /** As a debug line says it, in an operator's words (it read "HttpLimits[maxHeadBytes=...]"). */
    @Override
    public String toString() {
        return "heads of at most " + maxHeadBytes + " bytes and " + maxHeaderFields + " fields, within "
                + headTimeoutMs + " ms";
    }
}
