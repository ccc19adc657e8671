package org.hoststated.core.msg;

/** A host's state as the health check engine sees it (SPEC section 4). */
public enum HostState {
    // Payload enums travel as their ordinal: append new constants, never reorder.
    UNKNOWN("unknown"),
    UP("up"),
    DOWN("down");

    private final String text;

    HostState(String text) {
        this.text = text;
    }

    @Override
    public String toString() {
        return text;
    }
}
