package org.hoststated.hce.check;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import org.junit.jupiter.api.Assumptions;

/** A TLS server context with a throwaway self-signed key made by the JDK's keytool. */
final class TlsServer {
    private TlsServer() {
    }

    static SSLContext context(Path dir) throws Exception {
        Path ks = dir.resolve("test.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "t", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore",
                ks.toString(), "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
        boolean ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        Assumptions.assumeTrue(ok && Files.exists(ks), "keytool could not make a test key");
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        return ctx;
    }

    /** A TLS listener on loopback running {@code session} for every connection. */
    static int serve(SSLContext ctx, TestServers.Session session, java.util.List<AutoCloseable> open)
            throws IOException {
        SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 64,
                InetAddress.getLoopbackAddress());
        open.add(ss);
        Thread t = new Thread(() -> {
            while (!ss.isClosed()) {
                try {
                    Socket s = ss.accept();
                    Thread w = new Thread(() -> {
                        try (s) {
                            session.run(s.getInputStream(), s.getOutputStream());
                        } catch (IOException e) {
                            // the check closed first
                        }
                    });
                    w.setDaemon(true);
                    w.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "tls-server");
        t.setDaemon(true);
        t.start();
        return ss.getLocalPort();
    }

}
