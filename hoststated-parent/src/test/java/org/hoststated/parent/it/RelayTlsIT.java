package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code listen on ... ssl} in the running daemon: the parent reads the certificate and a
 * PKCS#1 RSA key from {@code /etc/ssl/<address>.crt} and {@code /etc/ssl/private/<address>.key}
 * (made here with openssl for this test's own address, removed afterwards), the chrooted relay
 * engine terminates TLS 1.2 and 1.3 with them.
 */
class RelayTlsIT {
    static final String ADDR = "127.22.3.1";

    @TempDir
    static Path dir;
    static RelayKeyFiles files;
    static Daemon daemon;
    static RelayEchoBackend echo;
    static int port;

    @BeforeAll
    static void start() throws Exception {
        files = new RelayKeyFiles(ADDR);
        echo = new RelayEchoBackend("echo", "127.22.3.11");
        port = RelayClient.freePort(ADDR);
        daemon = new Daemon(dir);
        daemon.writeConfig(daemon.globals() + "protocol secure {\n  ssl { ciphers \"HIGH:!ADH\", session cache 100 }\n}\n"
                + "relay tls {\n  listen on " + ADDR + " port " + port + " ssl\n  forward to 127.22.3.11 port "
                + echo.port() + "\n  protocol secure\n}\n");
        daemon.start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
            Files.writeString(Path.of("target", "RelayTlsIT-daemon.log"), daemon.logText());
        }
        if (echo != null) {
            echo.close();
        }
        if (files != null) {
            files.close();
        }
    }

    static SSLContext trustingTheRelay() throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("relay", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(files.crt))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @ParameterizedTest
    @ValueSource(strings = {"TLSv1.3", "TLSv1.2"})
    void terminatesTlsWithTheKeyFromEtcSsl(String protocol) throws Exception {
        SSLContext ctx = trustingTheRelay();
        daemon.awaitLogged("tls relay serving", Duration.ofSeconds(20), () -> {
            try (SSLSocket c = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getByName(ADDR), port)) {
                c.setSoTimeout(5000);
                c.setEnabledProtocols(new String[] {protocol});
                c.startHandshake();
                assertEquals(protocol, c.getSession().getProtocol());
                assertEquals("echo", RelayClient.readLine(c.getInputStream()));
                c.getOutputStream().write("over tls\n".getBytes());
                c.getOutputStream().flush();
                return "over tls".equals(RelayClient.readLine(c.getInputStream()));
            }
        });
    }
    /**
     * A TLS 1.2 client that asks to renegotiate is refused: each renegotiation costs the relay
     * a private-key operation, a cheap way for a client to load it (later relayd refuses it
     * too).
     */
    @org.junit.jupiter.api.Test
    void clientInitiatedRenegotiationIsRefused() throws Exception {
        SSLContext ctx = trustingTheRelay();
        daemon.awaitLogged("tls relay serving", Duration.ofSeconds(20), () -> {
            try (SSLSocket c = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getByName(ADDR), port)) {
                c.setSoTimeout(5000);
                return "echo".equals(RelayClient.readLine(c.getInputStream()));
            }
        });
        try (SSLSocket c = (SSLSocket) ctx.getSocketFactory().createSocket(InetAddress.getByName(ADDR), port)) {
            c.setSoTimeout(5000);
            c.setEnabledProtocols(new String[] {"TLSv1.2"});
            c.startHandshake();
            assertEquals("echo", RelayClient.readLine(c.getInputStream()));
            org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> {
                c.startHandshake();
                c.getOutputStream().write("after\n".getBytes());
                c.getOutputStream().flush();
                String line = RelayClient.readLine(c.getInputStream());
                if (line == null) {
                    throw new java.io.EOFException("closed");
                }
            });
        }
    }

    /**
     * What a reload's key files are warned of (here a key file every user may read) reaches
     * the operator who asked, before "command succeeded": a renewal that installed an expired
     * certificate read only "command succeeded", the warning in the log alone (probe AA).
     */
    @org.junit.jupiter.api.Test
    void aReloadTellsItsRequesterOfTheKeyFilesWarnings() throws Exception {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> was = Files.getPosixFilePermissions(files.key);
        try {
            Files.setPosixFilePermissions(files.key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
            Daemon.Result r = daemon.ctlWithWarnings("reload");
            assertEquals(0, r.status(), r.output());
            org.junit.jupiter.api.Assertions.assertTrue(r.output().contains("warning: relay tls: " + files.key + ": ")
                    && r.output().endsWith("command succeeded\n"), r.output());
        } finally {
            Files.setPosixFilePermissions(files.key, was);
        }
        Daemon.Result quiet = daemon.ctlWithWarnings("reload");
        assertEquals(new Daemon.Result(0, "command succeeded\n"), quiet);
    }
}
