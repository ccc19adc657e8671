package org.hoststated.parent;

import java.io.IOException;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.L3Capabilities;
import org.hoststated.core.posix.AbstractSocketName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a second daemon off the nftables table of this network namespace. pfe owns the table
 * {@code inet hoststated} of its namespace; another hoststated started there (with another
 * control socket) replaced the first one's rules with its own, removed them when it stopped,
 * and with the backend's read-back the two wrote their tables over each other every second.
 * While its configuration uses nftables, the parent holds the abstract Unix socket name
 * {@link #NAME}, which is scoped to the network namespace and freed by the kernel when the
 * parent ends, however it ends. Runs on the parent's loop.
 */
final class L3Lock implements Reloader.Claim {
    static final String NAME = "hoststated: nftables table inet hoststated";
    private static final Logger log = LoggerFactory.getLogger(L3Lock.class);

    private AbstractSocketName held;

    /**
     * Takes the name when {@code config} uses nftables and it is not held yet.
     *
     * @throws IOException with a one-line reason when another process holds it
     */
    @Override
    public void claim(Config config) throws IOException {
        if (held != null || !"nftables".equals(L3Capabilities.backendFor(config))) {
            return;
        }
        AbstractSocketName n = AbstractSocketName.tryBind(NAME);
        if (n == null) {
            throw new IOException("another hoststated drives nftables table inet hoststated in this network "
                    + "namespace (ss -xap | grep '@" + NAME + "' shows it)");
        }
        held = n;
    }

    /**
     * Why a daemon for {@code config} could not start here now, or null: asked before the
     * daemon puts itself in the background, so the caller sees why.
     */
    static String problem(Config config) {
        L3Lock probe = new L3Lock();
        try {
            probe.claim(config);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        } finally {
            probe.release();
        }
    }

    /** Lets the name go when {@code running}, the configuration that runs, does not use nftables. */
    @Override
    public void keep(Config running) {
        if (!"nftables".equals(L3Capabilities.backendFor(running))) {
            release();
        }
    }

    private void release() {
        if (held != null) {
            try {
                held.close();
            } catch (IOException e) {
                log.debug("closing @{}: {}", NAME, e.getMessage());
            }
            held = null;
        }
    }
}
