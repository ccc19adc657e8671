package org.hoststated.core.config;

/**
 * A layer-7 relay; used by the parent (listening socket) and relay. Immutable.
 *
 * @param target null when the relay only uses {@code nat lookup}
 * @param protocol protocol name; "default" when not given
 * @param timeoutSec session idle timeout
 */
public record RelayConfig(int id, String name, ListenConfig listen, RelayTarget target,
        boolean natLookup, int natLookupRetry, String protocol, int timeoutSec, boolean disabled) {
    public static final int DEFAULT_TIMEOUT_SEC = 600;
    /**
     * The longest a query of a {@code protocol dns} relay waits for its answer, whatever its
     * {@code timeout}: a resolver asks again after 5 s, and a later answer finds nobody waiting.
     */
    public static final int DNS_MAX_WAIT_SEC = 5;
}
