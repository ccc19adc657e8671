package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.hoststated.core.config.Action;
import org.hoststated.core.config.Direction;
import org.hoststated.core.config.NodeType;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.relay.RelayTls;
import org.hoststated.relay.RelayTransport;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The same HTTP session over each transport the relay runs on, and over TLS. */
class HttpTransportsTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = HttpTransportsTest.class.getResourceAsStream("/tls/" + name)) {
            return in.readAllBytes();
        }
    }

    private static SSLContext trusting(byte[] certPem) throws Exception {
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new java.io.ByteArrayInputStream(certPem));
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("relay", cert);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @ParameterizedTest
    @ValueSource(strings = {"epoll", "io_uring", "tls"})
    void aSession(String how) throws Exception {
        RelayTransport t = HttpPeerTest.transport(how);
        HttpRelayFixture.Builder b = HttpRelayFixture.builder().transport(t)
                .node(Direction.REQUEST, NodeType.HEADER, Action.APPEND, "X-Forwarded-For", "$REMOTE_ADDR");
        byte[] cert = resource("relay.crt");
        if (how.equals("tls")) {
            b.tls(RelayTls.serverContext(new TlsKeyPair(1, 1, cert, resource("relay.key")), SslOptions.defaults()));
        }
        try (RawBackend backend = new RawBackend(HttpRelayTest.BACKEND, new EchoScript());
                HttpRelayFixture r = b.backend(backend.address()).start();
                RawClient c = how.equals("tls") ? tls(r, cert) : r.client()) {
            for (int i = 0; i < 3; i++) {
                c.send("GET /" + i + " HTTP/1.1\r\nHost: a\r\n\r\n");
                assertEquals("GET /" + i + " HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 127.0.0.1\r\n\r\n", c.read().text());
            }
            String chunks = "3\r\nabc\r\n0\r\n\r\n";
            c.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
                    + "GET /after HTTP/1.1\r\nHost: a\r\n\r\n");
            assertTrue(c.read().text().endsWith(chunks));
            assertTrue(c.read().text().startsWith("GET /after "));
            c.send("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
            assertEquals(400, c.read().status());
            assertTrue(c.closed());
            assertEquals(1, backend.connections.get());
        }
    }

    /** A TLS client of {@code r}, whose certificate is {@code cert}. */
    static RawClient tls(HttpRelayFixture r, byte[] cert) throws Exception {
        SSLSocket s = (SSLSocket) trusting(cert).getSocketFactory().createSocket(r.address.getAddress(),
                r.address.getPort());
        s.startHandshake();
        return new RawClient(s);
    }
}
