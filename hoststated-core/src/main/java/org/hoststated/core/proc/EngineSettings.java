package org.hoststated.core.proc;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How the parent tells a child engine who to become. The parent builds the child's environment
 * explicitly (nothing of its own leaks in), so these travel as environment variables rather
 * than arguments: argv is kept for the {@code ps} title.
 *
 * @param user     the unprivileged user to drop to; null keeps root (pfe with the pf backend)
 * @param chroot   the directory to chroot to, or null
 * @param stderr   log to stderr (daemon run with {@code -d}) instead of syslog
 * @param verbose  log debug lines
 * @param netAdmin keep CAP_NET_ADMIN through the drop (pfe writing nftables rules)
 */
public record EngineSettings(String user, String chroot, boolean stderr, boolean verbose, boolean netAdmin) {
    public static final String USER = "HOSTSTATED_USER";
    public static final String CHROOT = "HOSTSTATED_CHROOT";
    public static final String NET_ADMIN = "HOSTSTATED_NET_ADMIN";
    public static final String LOG = "HOSTSTATED_LOG";
    public static final String VERBOSE = "HOSTSTATED_VERBOSE";
    /** The channel to the parent: the only descriptor a child is started with besides stdio. */
    public static final int PARENT_FD = 3;
    /** The socket on which the parent passes descriptors (peer channels, listeners). */
    public static final int FD_CHANNEL_FD = 4;

    public static EngineSettings fromEnvironment(Map<String, String> env) {
        return new EngineSettings(emptyToNull(env.get(USER)), emptyToNull(env.get(CHROOT)),
                !"syslog".equals(env.get(LOG)), "1".equals(env.get(VERBOSE)), "1".equals(env.get(NET_ADMIN)));
    }

    /** The same, keeping CAP_NET_ADMIN and without the chroot, where {@code nft} and its libraries are not. */
    public EngineSettings withNetAdmin() {
        return new EngineSettings(user, null, stderr, verbose, true);
    }

    /** The child's whole environment. */
    public List<String> toEnvironment() {
        List<String> env = new ArrayList<>();
        env.add("PATH=/usr/bin:/bin:/usr/sbin:/sbin");
        env.add("LANG=C.UTF-8");
        if (user != null) {
            env.add(USER + "=" + user);
        }
        if (chroot != null) {
            env.add(CHROOT + "=" + chroot);
        }
        env.add(LOG + "=" + (stderr ? "stderr" : "syslog"));
        env.add(VERBOSE + "=" + (verbose ? "1" : "0"));
        if (netAdmin) {
            env.add(NET_ADMIN + "=1");
        }
        return env;
    }

    private static String emptyToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
