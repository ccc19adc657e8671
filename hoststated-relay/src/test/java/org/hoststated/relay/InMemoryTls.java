package org.hoststated.relay;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.internal.tcnative.SSL;
import java.nio.ByteBuffer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLEngineResult.HandshakeStatus;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** A TLS client and the relay's server engine handshaking through buffers in memory, without sockets. */
final class InMemoryTls {
    private InMemoryTls() {
    }

    /** A JDK client context that trusts any certificate and keeps its sessions (tickets included). */
    static SSLContext trustingClient() throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(java.security.cert.X509Certificate[] ch, String a) {
            }

            public void checkServerTrusted(java.security.cert.X509Certificate[] ch, String a) {
            }

            public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        }}, null);
        return c;
    }

    /** What one handshake gave: the suite, and whether the server resumed a session. */
    record Outcome(String protocol, String cipher, boolean resumed) {
    }

    /** A full exchange of a client engine and a server engine of {@code server} until both are done. */
    static Outcome handshake(SslContext server, SSLContext client, String protocol, String... suites) throws Exception {
        SSLEngine s = server.newEngine(ByteBufAllocator.DEFAULT);
        SSLEngine c = client.createSSLEngine("relay.test", 443);
        c.setUseClientMode(true);
        c.setEnabledProtocols(new String[] {protocol});
        if (suites.length > 0) {
            c.setEnabledCipherSuites(suites);
        }
        try {
            pump(c, s);
            boolean resumed = s instanceof ReferenceCountedOpenSslEngine e && SSL.isSessionReused(e.sslPointer());
            return new Outcome(s.getSession().getProtocol(), s.getSession().getCipherSuite(), resumed);
        } finally {
            io.netty.util.ReferenceCountUtil.release(s);
        }
    }

    /** Wraps and unwraps both ways until neither engine handshakes; also lets TLS 1.3 tickets through. */
    static void pump(SSLEngine c, SSLEngine s) throws Exception {
        int size = 1 << 17;
        ByteBuffer c2s = ByteBuffer.allocate(size);
        ByteBuffer s2c = ByteBuffer.allocate(size);
        ByteBuffer app = ByteBuffer.allocate(size);
        ByteBuffer empty = ByteBuffer.allocate(0);
        c.beginHandshake();
        s.beginHandshake();
        for (int round = 0; round < 200; round++) {
            step(c, empty, c2s, s2c, app);
            step(s, empty, s2c, c2s, app);
            if (round > 4 && c.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING
                    && s.getHandshakeStatus() == HandshakeStatus.NOT_HANDSHAKING && c2s.position() == 0
                    && s2c.position() == 0) {
                return;
            }
        }
        throw new AssertionError("the handshake did not end: client " + c.getHandshakeStatus() + ", server "
                + s.getHandshakeStatus());
    }

    /** One turn of {@code e}: reads what the peer sent ({@code in}, write mode), writes into {@code out}. */
    private static void step(SSLEngine e, ByteBuffer empty, ByteBuffer out, ByteBuffer in, ByteBuffer app)
            throws Exception {
        for (int i = 0; i < 20; i++) {
            HandshakeStatus hs = e.getHandshakeStatus();
            if (hs == HandshakeStatus.NEED_TASK) {
                for (Runnable r = e.getDelegatedTask(); r != null; r = e.getDelegatedTask()) {
                    r.run();
                }
                continue;
            }
            SSLEngineResult r = e.wrap(empty, out);
            in.flip();
            SSLEngineResult u = in.hasRemaining() ? e.unwrap(in, app) : null;
            in.compact();
            app.clear();
            if (r.bytesProduced() == 0 && (u == null || u.bytesConsumed() == 0)
                    && e.getHandshakeStatus() != HandshakeStatus.NEED_TASK) {
                return;
            }
        }
    }
}
