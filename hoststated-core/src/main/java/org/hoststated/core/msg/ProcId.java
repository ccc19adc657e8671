package org.hoststated.core.msg;

/**
 * The processes that exchange messages: the three engines, the parent, and a control client
 * (hoststatectl) on the control socket. The wire value is permanent.
 */
public enum ProcId {
    PARENT(0, "parent"),
    PFE(1, "pfe"),
    HCE(2, "hce"),
    RELAY(3, "relay"),
    CONTROL(4, "control");

    private final int wire;
    private final String title;

    ProcId(int wire, String title) {
        this.wire = wire;
        this.title = title;
    }

    public int wire() {
        return wire;
    }

    /** The short name used in logs and in `ps` titles. */
    public String title() {
        return title;
    }

    public static ProcId fromWire(int v) throws MalformedMessageException {
        for (ProcId p : values()) {
            if (p.wire == v) {
                return p;
            }
        }
        throw new MalformedMessageException("unknown process id " + v);
    }

    public static ProcId byTitle(String t) {
        for (ProcId p : values()) {
            if (p.title.equals(t)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown process " + t);
    }
}
