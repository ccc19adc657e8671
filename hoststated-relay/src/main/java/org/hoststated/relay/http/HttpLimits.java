package org.hoststated.relay.http;

import org.slf4j.LoggerFactory;

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
     * 16 KiB heads (nginx and HAProxy default to 8-16 KiB), 100 fields, 10 s, and 16384 sessions
     * or as many as the descriptor limit leaves room for (two per session, 64 kept for the rest
     * of the engine), so a flood is answered 503 rather than failing accept with EMFILE.
     */
    public static final HttpLimits DEFAULTS = new HttpLimits(16 * 1024, 100, 10_000, sessionsForDescriptors());

    private static int sessionsForDescriptors() {
        long fds = 8192;
        try {
            if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                    instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
                fds = unix.getMaxFileDescriptorCount();
            }
        } catch (RuntimeException | LinkageError e) {
            // In a chroot the JDK may not reach its management library: keep the cautious guess.
            LoggerFactory.getLogger(HttpLimits.class).debug("descriptor limit unknown: {}", e.toString());
        }
        return (int) Math.max(64, Math.min(16_384, (fds - 64) / 2));
    }
}
