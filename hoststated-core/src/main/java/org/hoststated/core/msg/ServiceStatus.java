package org.hoststated.core.msg;

/** A service's status line in {@code show summary} (SPEC 2.2). */
public enum ServiceStatus {
    // Payload enums travel as their ordinal: append new constants, never reorder.
    DISABLED("disabled"),
    DOWN("down"),
    ACTIVE_BACKUP("active (using backup table)"),
    ACTIVE("active"),
    /** Not every host checked yet; the kernel still has a previous run's rules (pfe's L3Hold). */
    KEPT("kept (previous run's rules)"),
    /** The layer-3 backend cannot write the kernel's rules (nft or pfctl fails); pfe retries. */
    UNWRITTEN("rules not in the kernel (l3 backend failing)");

    private final String text;

    ServiceStatus(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
