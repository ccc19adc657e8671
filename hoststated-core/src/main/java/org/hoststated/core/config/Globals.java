package org.hoststated.core.config;

/**
 * Global options. Read by the parent (user, chroot, socket, demote), the health check engine
 * (interval, timeout, log), the relay engine (prefork) and pfe (l3 backend). Immutable.
 *
 * @param intervalSec check interval in seconds
 * @param timeoutMs default check timeout in milliseconds
 * @param prefork relay worker loops; 0 when there are no relays
 * @param demote global carp demote group, or null
 * @param l3Backend "nftables", "pf" or "none"; null when not given (the caller picks per OS)
 */
public record Globals(int intervalSec, int timeoutMs, LogMode log, int prefork, String demote,
        String user, String chroot, String socket, String l3Backend, boolean l3KeepRules) {

    public static final int DEFAULT_INTERVAL_SEC = 10;
    public static final int DEFAULT_TIMEOUT_MS = 200;
    public static final int DEFAULT_PREFORK = 5;
    public static final int MAX_PREFORK = 32;
    public static final String DEFAULT_USER = "_hoststated";
    public static final String DEFAULT_CHROOT = "/var/empty";
    public static final String DEFAULT_SOCKET = "/var/run/hoststated.sock";

    /** The defaults of a configuration that sets no global option. */
    public static Globals defaults() {
        return new Globals(DEFAULT_INTERVAL_SEC, DEFAULT_TIMEOUT_MS, LogMode.NONE, DEFAULT_PREFORK,
                null, DEFAULT_USER, DEFAULT_CHROOT, DEFAULT_SOCKET, null, false);
    }
}
