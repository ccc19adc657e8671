package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.Test;

/** {@code listen on ... ssl}: TLS terminated by the relay, plain TCP to the backend. */
class TlsRelayTest {
    static byte[] resource(String name) throws IOException {
        try (InputStream in = TlsRelayTest.class.getResourceAsStream("/tls/" + name)) {
            return in.readAllBytes();
        }
    }

    static TlsKeyPair pair() throws IOException {
        return new TlsKeyPair(1, 1, resource("relay.crt"), resource("relay.key"));
    }

    static SSLContext clientTrusting(byte[] certPem) throws Exception {
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

    @Test
    void terminatesTlsAndRelaysPlainToTheBackend() throws Exception {
        RelayTransport t = RelayTransport.best();
        try (TestBackend b = TestBackend.identEcho("a")) {
            var relay = RelayFixture.forward(b);
            var server = RelayTls.serverContext(pair(), SslOptions.defaults());
            try (RelayFixture r = RelayFixture.startTls(t, relay, server);
                    SSLSocket c = (SSLSocket) clientTrusting(pair().certificatePem()).getSocketFactory()
                            .createSocket(InetAddress.getLoopbackAddress(), r.port)) {
                c.setSoTimeout(20_000);
                c.startHandshake();
                InputStream in = c.getInputStream();
                assertEquals("a", TcpRelayTest.readLine(in));
                byte[] payload = Pattern.bytes(0, 300_000);
                c.getOutputStream().write(payload);
                c.getOutputStream().flush();
                byte[] back = in.readNBytes(payload.length);
                assertEquals(java.util.Arrays.hashCode(payload), java.util.Arrays.hashCode(back));
                c.getOutputStream().write("bye".getBytes(StandardCharsets.US_ASCII));
                c.getOutputStream().flush();
                assertEquals("bye", new String(in.readNBytes(3), StandardCharsets.US_ASCII));
            }
        }
    }

    @Test
    void aKeyThatIsNotPemIsRefused() throws Exception {
        TlsKeyPair bad = new TlsKeyPair(1, 1, resource("relay.crt"), "not a key".getBytes(StandardCharsets.US_ASCII));
        assertThrows(IllegalArgumentException.class, () -> {
            try {
                RelayTls.serverContext(bad, SslOptions.defaults());
            } catch (SSLException e) {
                throw new IllegalArgumentException(e);
            }
        });
    }

    static ProtocolConfig protocol() {
        return ProtocolConfig.builtinDefault(1);
    }
}
