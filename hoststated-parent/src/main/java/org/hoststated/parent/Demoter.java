package org.hoststated.parent;

import org.hoststated.core.msg.Demote;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies pfe's demote requests (SPEC section 4 {@code demote}): on OpenBSD to carp interface
 * groups, on Linux to a file per demote group that keepalived can follow. Runs on the parent's
 * loop; root is needed for both.
 */
final class Demoter {
    private static final Logger log = LoggerFactory.getLogger(Demoter.class);

    /** Changes {@code d.group()}'s demote counter by {@code d.delta()}. */
    void demote(Demote d) {
        // TODO(#6): carp interface groups and keepalived track files.
        log.debug("demote request ignored: group {} delta {}", d.group(), d.delta());
    }

    /** Gives back every demotion this daemon made (at stop). */
    void resetAll() {
    }
}
