package org.hoststated.relay;

import org.hoststated.core.proc.EngineMain;

/** Entry point of the relay engine process, started by the parent. */
public final class RelayMain {
    private RelayMain() {
    }

    public static void main(String[] args) {
        // Where the JDK serves TLS (no BoringSSL here, or a cipher list only it can serve), its
        // stateless TLS 1.2 tickets ignore the session timeout: "session cache disable" still
        // let a client resume 90 s later (probe Q). Without them its sessions live in the
        // cache the relay sizes. Read once, when the JDK's TLS first loads: set before that.
        System.setProperty("jdk.tls.server.enableSessionTicketExtension", "false");
        // Nor does it refuse a TLS 1.2 client's renegotiation, as BoringSSL does and later relayd
        // by default: each costs a private-key operation, a cheap way to load the relay. The
        // client gets a fatal alert, and its session ends. (The tests' JVMs, which never run
        // this, get these three from the relay's pom.)
        System.setProperty("jdk.tls.rejectClientInitiatedRenegotiation", "true");
        // And a ClientHello may be as large as BoringSSL allows, not twice that.
        System.setProperty("jdk.tls.maxHandshakeMessageSize", "16384");
        EngineMain.run(new RelayEngine());
    }
}
