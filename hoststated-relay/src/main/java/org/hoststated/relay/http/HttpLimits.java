package org.hoststated.relay.http;

import org.hoststated.relay.SessionLimit;

/**
 * The bounds an HTTP relay session works within. Immutable; one per relay.
 *
 * @param maxHeadBytes largest request or response head (start line, header fields and the
 *        blank line) or chunked trailer section; a larger request head gets 413, a larger
 *        response head 502
 * @param maxHeaderFields most header fields in one head
 * @param headTimeoutMs how long a client may take to send one request head once it started
 *        (and the first one after connecting): a slow sender gets 408
 * @param maxSessions most open sessions of one relay; more connections are answered 503
 *        and closed at once
 */
public record HttpLimits(int maxHeadBytes, int maxHeaderFields, long headTimeoutMs, int maxSessions) {
    /**
     * 16 KiB heads (nginx and HAProxy default to 8-16 KiB), 100 fields, 10 s, and the relay
     * engine's session bound (SessionLimit, which answers an HTTP client over it with a 503
     * through {@link HttpRelayInitializer}); tests set a smaller per-relay bound.
     */
    public static final HttpLimits DEFAULTS = new HttpLimits(16 * 1024, 100, 10_000, SessionLimit.engine().max());
}
