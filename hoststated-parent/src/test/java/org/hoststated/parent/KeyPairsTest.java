package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The relays' key files as the parent reads them: missing, unusable, good. */
class KeyPairsTest {
    @TempDir
    Path dir;
    private Config config;
    private Path crt;
    private Path key;

    @BeforeEach
    void setUp() throws Exception {
        System.setProperty(KeyPairs.SSL_DIR_PROPERTY, dir.toString());
        Files.createDirectories(dir.resolve("private"));
        crt = dir.resolve("192.0.2.9.crt");
        key = dir.resolve("private/192.0.2.9.key");
        Path file = dir.resolve("hoststated.conf");
        Files.writeString(file, "relay tls {\n  listen on 192.0.2.9 port 443 ssl\n  forward to 192.0.2.10 port 80\n}\n");
        config = new ConfigSource(file, Map.of()).load().loaded().config();
    }

    @AfterEach
    void tearDown() {
        System.clearProperty(KeyPairs.SSL_DIR_PROPERTY);
    }

    /** What -n says, its errors before its warnings. */
    private static List<String> problems(Config c) {
        KeyPairs.ConfigTest t = KeyPairs.configTest(c);
        List<String> all = new java.util.ArrayList<>(t.errors());
        all.addAll(t.warnings());
        return all;
    }

    @Test
    void missingFilesAreAWarningForTheConfigTestAndAnErrorForTheDaemon() {
        KeyPairs.ConfigTest t = KeyPairs.configTest(config);
        assertEquals(List.of(), t.errors());
        assertEquals(1, t.warnings().size());
        assertTrue(t.warnings().get(0).startsWith("relay tls: cannot read " + crt + ": no such file"), t.warnings().get(0));
        assertThrows(IOException.class, () -> KeyPairs.read(config, 1));
    }

    /**
     * Files that are there and cannot be used are an error for -n too, as for the daemon: a
     * key of another certificate passed -n with a warning, and the start then failed (probe AA).
     */
    @Test
    void aKeyOfAnotherCertificateIsAnErrorForTheConfigTest() throws Exception {
        selfSigned("rsa:2048");
        String otherKey = Files.readString(key);
        selfSigned("rsa:2048");
        Files.writeString(key, otherKey);
        KeyPairs.ConfigTest t = KeyPairs.configTest(config);
        assertEquals(1, t.errors().size(), t.toString());
        assertTrue(t.errors().get(0).contains("the key does not belong to the certificate"), t.errors().get(0));
        assertThrows(IOException.class, () -> KeyPairs.read(config, 1));
    }

    /** Every relay with unusable files is named in the one error, not only the first. */
    @Test
    void everyRelayWithUnusableFilesIsNamedAtOnce() throws Exception {
        Path file = dir.resolve("two.conf");
        Files.writeString(file, "relay one {\n  listen on 192.0.2.9 port 443 ssl\n  forward to 192.0.2.10 port 80\n}\n"
                + "relay two {\n  listen on 192.0.2.11 port 443 ssl\n  forward to 192.0.2.10 port 80\n}\n");
        Config two = new ConfigSource(file, Map.of()).load().loaded().config();
        IOException e = assertThrows(IOException.class, () -> KeyPairs.read(two, 1));
        assertTrue(e.getMessage().matches("relay one: cannot read .*; relay two: cannot read .*"), e.getMessage());
        assertEquals(2, problems(two).size());
    }

    /**
     * Relays on one address share their files: what is said of them all is one line for
     * {@code hoststated -n}, naming three and counting the rest (1,000 TLS relays printed 1,000
     * lines; probe T).
     */
    @Test
    void whatIsSaidOfManyRelaysIsOneLine() throws Exception {
        StringBuilder conf = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            conf.append("relay web").append(i).append(" {\n  listen on 192.0.2.9 port ").append(8440 + i)
                    .append(" ssl\n  forward to 192.0.2.10 port 80\n}\n");
        }
        conf.append("relay other {\n  listen on 192.0.2.11 port 443 ssl\n  forward to 192.0.2.10 port 80\n}\n");
        Path file = dir.resolve("many.conf");
        Files.writeString(file, conf.toString());
        Config many = new ConfigSource(file, Map.of()).load().loaded().config();
        List<String> p = problems(many);
        assertEquals(2, p.size(), String.join("\n", p));
        assertTrue(p.get(0).startsWith("relays web0, web1, web2 and 2 more: cannot read " + crt + ": no such file"),
                p.get(0));
        assertTrue(p.get(1).startsWith("relay other: cannot read "), p.get(1));
    }

    @Test
    void filesThatDoNotParseAreNamed() throws Exception {
        Files.writeString(crt, "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
        Files.writeString(key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        IOException e = assertThrows(IOException.class, () -> KeyPairs.read(config, 1));
        assertTrue(e.getMessage().startsWith("relay tls: " + crt + ", " + key + ": "), e.getMessage());
    }

    /**
     * An IPv6 listener's files are named by the address's short form (RFC 5952), as the
     * original's getnameinfo wrote it: /etc/ssl/2001:db8::9.crt, not Java's 2001:db8:0:0:0:0:0:9.
     */
    @Test
    void anIpv6ListenersFilesAreNamedByTheAddressesShortForm() throws Exception {
        Path file = dir.resolve("six.conf");
        Files.writeString(file, "relay six {\n  listen on 2001:db8:0::9 port 443 ssl\n  forward to ::1 port 80\n}\n");
        Config six = new ConfigSource(file, Map.of()).load().loaded().config();
        assertEquals(List.of("relay six: cannot read " + dir.resolve("2001:db8::9.crt") + ": no such file"),
                problems(six));
    }

    /**
     * A FIFO would block the parent until someone writes to it, /dev/zero would fill its heap,
     * an oversized file is refused without reading it whole: each is refused with its name.
     */
    @Test
    void filesThatAreNotSmallRegularFilesAreRefusedWithoutReadingThemWhole() throws Exception {
        Files.writeString(crt, "x");
        Files.createSymbolicLink(key, Path.of("/dev/zero"));
        assertEquals(List.of("relay tls: cannot read " + key + ": not a regular file"), problems(config));
        Files.delete(key);
        Process mkfifo = new ProcessBuilder("mkfifo", key.toString()).start();
        Assumptions.assumeTrue(mkfifo.waitFor() == 0, "mkfifo failed: skipped");
        IOException e = assertThrows(IOException.class, () -> KeyPairs.read(config, 1));
        assertEquals("relay tls: cannot read " + key + ": not a regular file", e.getMessage());
        Files.delete(key);
        Files.write(key, new byte[TlsKeyPair.MAX_PEM + 1]);
        assertEquals(List.of("relay tls: " + key + " is larger than " + TlsKeyPair.MAX_PEM + " bytes"),
                problems(config));
    }

    /** A self-signed certificate for 192.0.2.9 and its key ({@code openssl req -newkey}), or the test skipped. */
    private void selfSigned(String newKey) throws Exception {
        openssl("req", "-x509", "-newkey", newKey, "-nodes", "-days", "1", "-subj", "/CN=192.0.2.9",
                "-keyout", key.toString(), "-out", crt.toString());
    }

    /** Served, with a warning: Debian's clients, nginx and HAProxy refuse RSA keys under 2048 bits. */
    @Test
    void anRsaKeyUnder2048BitsIsAWarning() throws Exception {
        selfSigned("rsa:1024");
        assertEquals(List.of("relay tls: " + key + ": an RSA key of 1024 bits, which clients with current defaults"
                + " refuse (2048 or more)"), problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
    }

    /**
     * A key file every user may read is served, with a warning (nginx and HAProxy serve it
     * without one; sshd refuses such a key): it said nothing. Group-readable is left alone
     * (Debian's ssl-cert group).
     */
    @Test
    void aKeyFileEveryUserMayReadIsAWarning() throws Exception {
        selfSigned("rsa:2048");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of("relay tls: " + key + ": the key file is readable by every user (chmod o-r, or 600)"),
                problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(problems(config).isEmpty());
    }

    /**
     * A certificate file that also holds the private key (a combined PEM) and that every user
     * may read is a warning too: the key was anyone's, and said nothing (probe O).
     */
    @Test
    void aPrivateKeyInACertificateFileEveryUserMayReadIsAWarning() throws Exception {
        selfSigned("rsa:2048");
        Files.write(crt, Files.readAllBytes(key), java.nio.file.StandardOpenOption.APPEND);
        Files.setPosixFilePermissions(crt, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(List.of("relay tls: " + crt + ": it holds a private key, and the file is readable by every user"
                + " (chmod o-r, or 600)"), problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
        Files.setPosixFilePermissions(crt, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r-----"));
        assertTrue(problems(config).isEmpty());
    }

    /**
     * A cipher list with suites for the other key type only is refused with the files: it was
     * taken, and every handshake failed with an internal_error, TLS 1.3 too.
     */
    @Test
    void ciphersWithoutASuiteForTheKeyAreRefused() throws Exception {
        selfSigned("rsa:2048");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Path file = dir.resolve("ciphers.conf");
        Files.writeString(file, "protocol p {\n  ssl { ciphers \"ECDHE-ECDSA-AES128-GCM-SHA256\" }\n}\n"
                + "relay tls {\n  listen on 192.0.2.9 port 443 ssl\n  protocol p\n  forward to 192.0.2.10 port 80\n}\n");
        Config ecdsaOnly = new ConfigSource(file, Map.of()).load().loaded().config();
        assertEquals(List.of("relay tls: " + crt + ": an RSA key, but the ciphers \"ECDHE-ECDSA-AES128-GCM-SHA256\""
                + " have no TLS 1.2 suite for it (RSA ones, such as ECDHE-RSA-AES128-GCM-SHA256): every handshake"
                + " would fail, TLS 1.3 too"), problems(ecdsaOnly));
        assertThrows(IOException.class, () -> KeyPairs.read(ecdsaOnly, 1));
        Files.writeString(key, KEY);
        Files.writeString(crt, FUTURE);
        Files.writeString(file, Files.readString(file).replace("ECDHE-ECDSA", "ECDHE-RSA"));
        Config rsaOnly = new ConfigSource(file, Map.of()).load().loaded().config();
        assertTrue(problems(rsaOnly).stream().anyMatch(l -> l.contains("an EC key, but the ciphers")),
                problems(rsaOnly).toString());
        Files.writeString(file, Files.readString(file).replace("ECDHE-RSA-AES128-GCM-SHA256", "HIGH"));
        Config both = new ConfigSource(file, Map.of()).load().loaded().config();
        assertTrue(problems(both).stream().noneMatch(l -> l.contains("ciphers")),
                problems(both).toString());
    }

    @Test
    void aGoodPairIsRead() throws Exception {
        selfSigned("rsa:2048");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertTrue(problems(config).isEmpty());
        assertEquals(7, KeyPairs.read(config, 7).values().iterator().next().generation());
    }
    /** One key, and a certificate for it that expired in 2020 or one valid from 2100 (EC P-256). */
    static final String KEY = """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg/7Xae6LZyP6DGsl5
            Uo5gDcz+3pYXy0PC0II0CKbW4rmhRANCAASGxm1zDVhDYts3+KxO3LHLZ77wwtj9
            ZinUtpkT6wBl7Ca714sLB8UkLoEAfYC8ZQiINOhomia7OhkbOwtrdCSF
            -----END PRIVATE KEY-----
            """;
    static final String EXPIRED = """
            -----BEGIN CERTIFICATE-----
            MIIBEzCBu6ADAgECAgEBMAoGCCqGSM49BAMCMBQxEjAQBgNVBAMMCTE5Mi4wLjIu
            OTAeFw0yMDAxMDEwMDAwMDBaFw0yMDAyMDEwMDAwMDBaMBQxEjAQBgNVBAMMCTE5
            Mi4wLjIuOTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABIbGbXMNWENi2zf4rE7c
            sctnvvDC2P1mKdS2mRPrAGXsJrvXiwsHxSQugQB9gLxlCIg06GiaJrs6GRs7C2t0
            JIUwCgYIKoZIzj0EAwIDRwAwRAIgCjoemISivIZcfX92jnGyFF5O2C89FsNZ4iVd
            cpdYwtcCIDHFM68IlNB4ec3wMvV1NxFIH5UZBf+Dr22O/VlrF+lT
            -----END CERTIFICATE-----
            """;
    static final String FUTURE = """
            -----BEGIN CERTIFICATE-----
            MIIBGDCBv6ADAgECAgEBMAoGCCqGSM49BAMCMBQxEjAQBgNVBAMMCTE5Mi4wLjIu
            OTAiGA8yMTAwMDEwMTAwMDAwMFoYDzIxMDEwMTAxMDAwMDAwWjAUMRIwEAYDVQQD
            DAkxOTIuMC4yLjkwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASGxm1zDVhDYts3
            +KxO3LHLZ77wwtj9ZinUtpkT6wBl7Ca714sLB8UkLoEAfYC8ZQiINOhomia7Ohkb
            OwtrdCSFMAoGCCqGSM49BAMCA0gAMEUCICv+QHut2wExc7jIlCdLyFG3xArYfJ4s
            N1uIMJYfqoDDAiEAxqKdURpTQ7rSoARugyJgvih7FbPcdAJYo8skjZeawaQ=
            -----END CERTIFICATE-----
            """;

    /**
     * A chain over 64 KiB is warned of: OpenSSL's clients refuse a certificate message over 100
     * KiB, and a file with a CA bundle appended loaded with no word of it (probe AA).
     */
    @Test
    void aVeryLongChainIsAWarning() throws Exception {
        selfSigned("rsa:2048");
        String one = Files.readString(crt);
        assertTrue(problems(config).isEmpty(), () -> problems(config).toString());
        Files.writeString(crt, one.repeat(120));
        List<String> p = problems(config);
        assertEquals(1, p.size(), p::toString);
        assertTrue(p.get(0).matches("relay tls: " + java.util.regex.Pattern.quote(crt.toString())
                + ": a chain of 120 certificates, \\d+ KiB: clients refuse one over 100 KiB .*"), p.get(0));
        assertEquals(1, KeyPairs.read(config, 1).size());
    }

    /**
     * A certificate out of its dates is served (as by HAProxy and nginx), with a warning: it
     * passed without a word, and clients that check dates then refused every handshake.
     */
    @Test
    void aCertificateOutOfItsDatesIsAWarning() throws Exception {
        Files.writeString(key, KEY);
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(crt, EXPIRED);
        assertEquals(List.of("relay tls: " + crt + ": certificate expired on 2020-02-01T00:00:00Z"),
                problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
        Files.writeString(crt, FUTURE);
        assertEquals(List.of("relay tls: " + crt + ": certificate not valid before 2100-01-01T00:00:00Z"),
                problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
    }

    /**
     * An intermediate out of its dates breaks the chain for clients as the server's own
     * certificate does, and a file renewed by hand often keeps the old intermediate: it is
     * warned of too, by its place in the file (only the first certificate was looked at).
     */
    @Test
    void anIntermediateOutOfItsDatesIsAWarning() throws Exception {
        selfSigned("rsa:2048");
        Files.writeString(crt, Files.readString(crt) + EXPIRED);
        assertEquals(List.of("relay tls: " + crt + ": certificate 2 (CN=192.0.2.9) expired on 2020-02-01T00:00:00Z"),
                problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size());
    }

    /** Runs openssl with {@code args}, or skips the test (where openssl is missing or fails). */
    static void openssl(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            Assumptions.abort("openssl not installed: skipped");
            return;
        }
        p.getInputStream().readAllBytes();
        Assumptions.assumeTrue(p.waitFor() == 0, "openssl failed: skipped");
    }

    /**
     * A certificate followed by an intermediate that did not issue it (renewed under a new
     * one, the old one kept in the file) is warned of: it was served with "configuration OK",
     * and clients that lack the right intermediate refused every handshake (review CF).
     */
    @Test
    void anIntermediateThatDidNotIssueTheCertificateIsAWarning() throws Exception {
        Path ca = dir.resolve("ca.crt");
        Path old = dir.resolve("old.crt");
        Path csr = dir.resolve("leaf.csr");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Issuing CA",
                "-keyout", dir.resolve("ca.key").toString(), "-out", ca.toString());
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Old Intermediate",
                "-keyout", dir.resolve("old.key").toString(), "-out", old.toString());
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=192.0.2.9", "-keyout", key.toString(),
                "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.toString(), "-CAkey", dir.resolve("ca.key").toString(),
                "-CAcreateserial", "-days", "1", "-out", crt.toString());
        String leaf = Files.readString(crt);
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.writeString(crt, leaf + Files.readString(ca));
        assertEquals(List.of(), problems(config), "the right intermediate");
        Files.writeString(crt, leaf + Files.readString(old));
        assertEquals(List.of("relay tls: " + crt + ": certificate 2 (CN=Old Intermediate) did not issue certificate 1"
                + " (CN=192.0.2.9, issued by CN=Issuing CA): clients that lack the right intermediate refuse every"
                + " handshake"), problems(config));
        assertEquals(1, KeyPairs.read(config, 1).size(), "served all the same");
    }
}
