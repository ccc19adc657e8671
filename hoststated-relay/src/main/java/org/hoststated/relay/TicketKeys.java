package org.hoststated.relay;

import io.netty.handler.ssl.OpenSslSessionTicketKey;

/**
 * The keys that seal the session tickets of the contexts serving one certificate and key: the
 * current one, which seals new tickets, and the one before it, which still opens the tickets
 * it sealed. {@link #rotate} replaces the current key every {@link #ROTATE_SEC} seconds, so a
 * ticket resumes for one to two rotations and a key that leaked opens the sessions of two
 * hours at most. A TLS 1.2 session resumed from a ticket has no forward secrecy against the
 * key that sealed it (its master secret is inside); nginx and HAProxy keep theirs as long as
 * the process runs unless told otherwise. Rotated on the relay engine's loop; read by the
 * thread that builds a generation's contexts as well, hence volatile.
 */
final class TicketKeys {
    /** How often the current key is replaced: an hour. */
    static final long ROTATE_SEC = 3600;

    private volatile OpenSslSessionTicketKey[] keys = {RelayTls.newTicketKey()};

    /** The keys to give a context: the current one first, which BoringSSL seals new tickets with. */
    OpenSslSessionTicketKey[] keys() {
        return keys.clone();
    }

    /** A new current key; the current one only opens tickets from now on, the one before it goes. */
    void rotate() {
        keys = new OpenSslSessionTicketKey[] {RelayTls.newTicketKey(), keys[0]};
    }
}
