package org.hoststated.pfe.backend;

/** The kernel refused a change, or its tool could not be run; the message says why. */
public final class L3Exception extends Exception {
    private static final long serialVersionUID = 1L;

    public L3Exception(String message) {
        super(message, null, false, false);
    }
}
