package org.hoststated.parent.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The certificate and key files the parent reads for {@code listen on ADDRESS ... ssl}
 * ({@code /etc/ssl/ADDRESS.crt}, {@code /etc/ssl/private/ADDRESS.key}), made with openssl for
 * a test's own address and removed by {@link #close}. Skips the test where it cannot run: not
 * root, no openssl, or files for the address that are not the test's.
 */
final class RelayKeyFiles implements AutoCloseable {
    final String address;
    final Path crt;
    final Path key;
    private final List<Path> made = new ArrayList<>();

    RelayKeyFiles(String address) throws IOException, InterruptedException {
        this.address = address;
        this.crt = Path.of("/etc/ssl", address + ".crt");
        this.key = Path.of("/etc/ssl/private", address + ".key");
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        Assumptions.assumeTrue(!Files.exists(crt) && !Files.exists(key), "files for " + address + " exist: not ours");
        Assumptions.assumeTrue(Daemon.installed("openssl"), "openssl not installed: skipped");
        if (!Files.isDirectory(key.getParent())) {
            made.add(Files.createDirectories(key.getParent()));
        }
        made.add(0, key);
        made.add(0, crt);
        Assumptions.assumeTrue(renew(), "openssl not usable");
    }

    /** Writes a new PKCS#1 RSA key and a self-signed certificate for it; false if openssl failed. */
    boolean renew() throws IOException, InterruptedException {
        return run("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048") == 0
                && run("openssl", "req", "-new", "-x509", "-key", key.toString(), "-out", crt.toString(),
                        "-days", "2", "-subj", "/CN=" + address) == 0;
    }

    @Override
    public void close() throws IOException {
        for (Path p : made) {
            Files.deleteIfExists(p);
        }
    }

    static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }
}
