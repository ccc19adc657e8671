package org.hoststated.core.msg;

/**
 * One message: its type, the sender's peer id and pid as in the original imsg header, and the
 * decoded payload, a record of the type's codec.
 */
public record Imsg(MessageType type, int peerId, int pid, Object payload) {
    public Imsg {
        if (!type.codec().type().isInstance(payload)) {
            throw new IllegalArgumentException(type + " does not carry " + payload.getClass().getSimpleName());
        }
    }

    public static Imsg of(MessageType type, Object payload) {
        return new Imsg(type, 0, (int) ProcessHandle.current().pid(), payload);
    }

    public static Imsg of(MessageType type) {
        return of(type, Empty.INSTANCE);
    }

    @SuppressWarnings("unchecked")
    public <T> T payload(Class<T> cls) {
        return (T) cls.cast(payload);
    }
}
