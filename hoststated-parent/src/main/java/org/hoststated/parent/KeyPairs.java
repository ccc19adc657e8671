package org.hoststated.parent;

import io.netty.util.NetUtil;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.tls.OpenSslCipherList;
import org.hoststated.core.tls.PemKeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the certificate and key of each relay that listens with {@code ssl}, named as in the
 * original: {@code /etc/ssl/<address>.crt} and {@code /etc/ssl/private/<address>.key}. The
 * parent reads them as root and checks that they parse and belong together, so that a bad
 * file fails the start or the reload with its name before any engine sees it; the chrooted
 * relay engine gets them over its channel. A certificate out of its dates, the server's or an
 * intermediate, an RSA key under 2048 bits and a key file every user may read are warnings.
 */
final class KeyPairs {
    private static final Logger log = LoggerFactory.getLogger(KeyPairs.class);
    /** Where the files are looked for; tests point it elsewhere. */
    static final String SSL_DIR_PROPERTY = "hoststated.ssl.dir";
    /** OpenSSL's security level 2, the default of current distributions. */
    private static final int MIN_RSA_BITS = 2048;
    /** The longest certificate chain served without a warning ({@link #longChain}). */
    private static final long MAX_CHAIN_BYTES = 64 * 1024;

    private KeyPairs() {
    }

    /**
     * The key pairs of every relay that listens with {@code ssl}. Throws when any relay's files
     * are unusable, naming every such relay in one line ("; " between them), so that an operator
     * fixes them all at once rather than one per start.
     */
    static Map<Integer, TlsKeyPair> read(Config config, int generation) throws IOException {
        return read(config, generation, new ArrayList<>());
    }

    /** {@link #read(Config, int)}, adding its warnings to {@code warningsOut} too. */
    static Map<Integer, TlsKeyPair> read(Config config, int generation, List<String> warningsOut) throws IOException {
        List<String> problems = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        Map<Integer, TlsKeyPair> out = read(config, generation, problems, warnings, problems);
        if (!problems.isEmpty()) {
            throw new IOException(String.join("; ", sameForMany(config, problems)));
        }
        // Said as -n and the configuration's own warnings say them: on standard error a
        // warning read exactly like the fatal "cannot read" lines (probe D).
        List<String> said = sameForMany(config, warnings);
        said.forEach(w -> log.warn("{} (warning)", w));
        warningsOut.addAll(said);
        return out;
    }

    /**
     * The usable key pairs; one line per relay whose files are not goes to {@code problems}
     * (to {@code missing} when a file is not there or this user may not read it), one per relay
     * whose certificate is out of its dates to {@code warnings}.
     */
    private static Map<Integer, TlsKeyPair> read(Config config, int generation, List<String> problems,
            List<String> warnings, List<String> missing) {
        Map<Integer, TlsKeyPair> out = new HashMap<>();
        Map<List<ByteBuffer>, Parsed> parsed = new HashMap<>();
        for (RelayConfig r : config.relays()) {
            if (r.listen().ssl()) {
                try {
                    out.put(r.id(), read(config, r, generation, warnings, parsed));
                } catch (IOException e) {
                    boolean unseen = e.getCause() instanceof NoSuchFileException
                            || e.getCause() instanceof AccessDeniedException;
                    (unseen ? missing : problems).add(e.getMessage());
                }
            }
        }
        return out;
    }

    /** {@code keys} as sent again with generation {@code generation}: the same files' contents. */
    static Map<Integer, TlsKeyPair> restamped(Map<Integer, TlsKeyPair> keys, int generation) {
        Map<Integer, TlsKeyPair> out = new HashMap<>();
        keys.forEach((id, k) -> out.put(id, new TlsKeyPair(generation, k.relayId(), k.certificatePem(), k.keyPem())));
        return out;
    }

    /** What {@code hoststated -n} says of the key files: errors, and warnings. */
    record ConfigTest(List<String> errors, List<String> warnings) {
    }

    /**
     * What {@code hoststated -n} says of the key files. A file that is not there, or that the
     * user running the test may not read, is a warning, as in the original, since the test may
     * run on another machine than the daemon, or without root; one that
     * is there and cannot be used (does not parse, a key that does not belong to its
     * certificate, an encrypted key) is an error, as at start and reload: "configuration OK"
     * for a file the daemon then refused to start with let a deploy that checks with -n go
     * on (probe AA; nginx -t fails so too).
     */
    static ConfigTest configTest(Config config) {
        List<String> errors = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        read(config, 0, errors, warnings, warnings);
        return new ConfigTest(sameForMany(config, errors), sameForMany(config, warnings));
    }

    /**
     * {@code lines}, those that say the same of several relays as one line naming the first
     * three and how many more: relays on one address share their files, and 1,000 TLS relays
     * with a missing certificate printed 1,000 lines (probe T).
     */
    static List<String> sameForMany(Config config, List<String> lines) {
        java.util.Set<String> prefixes = new java.util.HashSet<>();
        config.relays().forEach(r -> prefixes.add("relay " + r.name() + ": "));
        Map<String, List<String>> relaysBySaying = new java.util.LinkedHashMap<>();
        for (String line : lines) {
            String name = null;
            for (int i = line.indexOf(": "); i >= 0 && name == null; i = line.indexOf(": ", i + 1)) {
                if (prefixes.contains(line.substring(0, i + 2))) {
                    name = line.substring("relay ".length(), i);
                    relaysBySaying.computeIfAbsent(line.substring(i + 2), k -> new ArrayList<>()).add(name);
                }
            }
            if (name == null) {
                relaysBySaying.computeIfAbsent(line, k -> new ArrayList<>());
            }
        }
        List<String> out = new ArrayList<>();
        relaysBySaying.forEach((saying, names) -> {
            if (names.isEmpty()) {
                out.add(saying);
            } else if (names.size() == 1) {
                out.add("relay " + names.get(0) + ": " + saying);
            } else {
                out.add("relays " + String.join(", ", names.subList(0, Math.min(3, names.size())))
                        + (names.size() > 3 ? " and " + (names.size() - 3) + " more" : "") + ": " + saying);
            }
        });
        return out;
    }

    /**
     * @param parsed the pairs parsed for this configuration so far, by their files' contents:
     *     relays on one address (many ports) share their files, and parsing checks that key and
     *     certificate belong together, a private-key operation each; 1,000 TLS relays held the
     *     parent's loop 10 s at each reload (probe T)
     */
    private static TlsKeyPair read(Config config, RelayConfig r, int generation, List<String> warnings,
            Map<List<ByteBuffer>, Parsed> parsed) throws IOException {
        Path dir = Path.of(System.getProperty(SSL_DIR_PROPERTY, "/etc/ssl"));
        // An IPv6 address in its short form (2001:db8::1), as the original's getnameinfo wrote it.
        String addr = NetUtil.toAddressString(r.listen().address());
        Path crt = dir.resolve(addr + ".crt");
        Path key = dir.resolve("private").resolve(addr + ".key");
        byte[] crtPem = read(crt, r);
        byte[] keyPem = read(key, r);
        List<ByteBuffer> files = List.of(ByteBuffer.wrap(crtPem), ByteBuffer.wrap(keyPem));
        Parsed done = parsed.get(files);
        if (done == null) {
            try {
                PemKeyPair p = PemKeyPair.parse(crtPem, keyPem);
                done = new Parsed(p, brokenLink(p.chain()));
            } catch (IllegalArgumentException e) {
                throw new IOException("relay " + r.name() + ": " + crt + ", " + key + ": " + e.getMessage(), e);
            }
            parsed.put(files, done);
        }
        PemKeyPair pair = done.pair();
        String unfit = ciphersUnfit(config, r, pair.key());
        if (unfit != null) {
            throw new IOException("relay " + r.name() + ": " + crt + ": " + unfit);
        }
        String exposed = readableByOthers(key, "the key file");
        if (exposed != null) {
            warnings.add("relay " + r.name() + ": " + key + ": " + exposed);
        }
        // A certificate file is public, unless a key was pasted into it (a "combined" PEM).
        String keyInCrt = PemKeyPair.holdsPrivateKey(crtPem) ? readableByOthers(crt, "it holds a private key, and the file")
                : null;
        if (keyInCrt != null) {
            warnings.add("relay " + r.name() + ": " + crt + ": " + keyInCrt);
        }
        String weak = weakKey(pair.key());
        if (weak != null) {
            warnings.add("relay " + r.name() + ": " + key + ": " + weak);
        }
        X509Certificate[] chain = pair.chain();
        for (int i = 0; i < chain.length; i++) {
            String dates = outOfDates(chain[i], Instant.now());
            if (dates != null) {
                // An intermediate is named by its place and subject: a file renewed by hand
                // often keeps an old one, which clients refuse as they would the server's.
                if (i > 0) {
                    dates = "certificate " + (i + 1) + " (" + chain[i].getSubjectX500Principal().getName() + ")"
                            + dates.substring("certificate".length());
                }
                warnings.add("relay " + r.name() + ": " + crt + ": " + dates);
            }
        }
        if (done.brokenLink() != null) {
            warnings.add("relay " + r.name() + ": " + crt + ": " + done.brokenLink());
        }
        String tooLong = longChain(chain);
        if (tooLong != null) {
            warnings.add("relay " + r.name() + ": " + crt + ": " + tooLong);
        }
        return new TlsKeyPair(generation, r.id(), crtPem, keyPem);
    }

    /** A pair as parsed, with what its chain's links say ({@link #brokenLink}): worked out once per files. */
    private record Parsed(PemKeyPair pair, String brokenLink) {
    }

    /**
     * Where {@code chain} breaks, or null: a certificate that the next one in the file did not
     * issue (its issuer is not the next one's subject, or the next one's key does not verify
     * its signature). A certificate renewed under a new intermediate with the old one still in
     * the file was served with "configuration OK", and clients that lack the right intermediate
     * refused every handshake (review CF). Nothing after a self-signed certificate (a root) is
     * looked at. Warned of, as an expired intermediate is: served all the same.
     */
    static String brokenLink(X509Certificate[] chain) {
        for (int i = 0; i + 1 < chain.length; i++) {
            X509Certificate c = chain[i];
            if (c.getIssuerX500Principal().equals(c.getSubjectX500Principal())) {
                return null;
            }
            X509Certificate next = chain[i + 1];
            boolean issued = c.getIssuerX500Principal().equals(next.getSubjectX500Principal());
            if (issued) {
                try {
                    c.verify(next.getPublicKey());
                } catch (java.security.GeneralSecurityException e) {
                    issued = false;
                }
            }
            if (!issued) {
                return "certificate " + (i + 2) + " (" + next.getSubjectX500Principal().getName()
                        + ") did not issue certificate " + (i + 1) + " (" + c.getSubjectX500Principal().getName()
                        + ", issued by " + c.getIssuerX500Principal().getName()
                        + "): clients that lack the right intermediate refuse every handshake";
            }
        }
        return null;
    }

    /**
     * Why {@code chain} is too long to send, or null: OpenSSL's clients refuse a certificate
     * message over 100 KiB ("excessive message size"), and a file with a CA bundle appended
     * (145 certificates, 220 KB) loaded with a warning per expired root only, then failed
     * every such handshake (probe AA). Warned of from 64 KiB: served all the same.
     */
    static String longChain(X509Certificate[] chain) {
        long bytes = 0;
        for (X509Certificate c : chain) {
            try {
                bytes += c.getEncoded().length;
            } catch (java.security.cert.CertificateEncodingException e) {
                return null; // parsed from its encoding: cannot happen
            }
        }
        if (bytes <= MAX_CHAIN_BYTES) {
            return null;
        }
        return "a chain of " + chain.length + " certificates, " + bytes / 1024 + " KiB: clients refuse one over"
                + " 100 KiB (OpenSSL's limit); keep the server's certificate and its intermediates only";
    }

    /**
     * Why the cipher list of {@code r}'s protocol cannot serve {@code key}, or null: a list of
     * RSA suites only, say, for an EC key ({@link OpenSslCipherList#fitsKey}) was taken, and
     * then every handshake failed.
     */
    static String ciphersUnfit(Config config, RelayConfig r, PrivateKey key) {
        String spec = config.protocol(r.protocol()).map(p -> p.ssl().ciphers()).orElse(null);
        spec = spec != null ? spec : SslOptions.DEFAULT_CIPHERS;
        List<String> suites;
        try {
            suites = OpenSslCipherList.apply(spec, OpenSslCipherList.jdkDefaultSuites()).suites();
        } catch (IllegalArgumentException e) {
            return null; // the configuration's check says so
        }
        if (OpenSslCipherList.fitsKey(suites, key.getAlgorithm())) {
            return null;
        }
        boolean ec = key.getAlgorithm().equals("EC");
        return "an " + (ec ? "EC" : "RSA") + " key, but the ciphers \"" + spec + "\" have no TLS 1.2 suite for it ("
                + (ec ? "ECDSA" : "RSA") + " ones, such as " + (ec ? "ECDHE-ECDSA" : "ECDHE-RSA")
                + "-AES128-GCM-SHA256): every handshake would fail, TLS 1.3 too";
    }

    /**
     * Why clients will refuse {@code key}, or null: an RSA key under 2048 bits is below OpenSSL's
     * default security level 2 (Debian's curl and openssl fail the handshake's verification,
     * and nginx and HAProxy there refuse to load it). Served all the same, with a warning,
     * as a certificate out of its dates: the relay cannot know its clients.
     */
    static String weakKey(PrivateKey key) {
        if (key instanceof RSAPrivateKey rsa && rsa.getModulus().bitLength() < MIN_RSA_BITS) {
            return "an RSA key of " + rsa.getModulus().bitLength() + " bits, which clients with current defaults"
                    + " refuse (" + MIN_RSA_BITS + " or more)";
        }
        return null;
    }

    /**
     * Why {@code key}'s mode lets users other than its owner and group read it, or null. Served
     * all the same, with a warning, as nginx and HAProxy serve it (without one): refusing it
     * would stop at an upgrade a relay that ran before, while sshd's StrictModes refuses such
     * a private key. A key readable by every user is anyone's on the machine.
     */
    static String readableByOthers(Path key, String what) {
        try {
            if (Files.getPosixFilePermissions(key).contains(PosixFilePermission.OTHERS_READ)) {
                return what + " is readable by every user (chmod o-r, or 600)";
            }
        } catch (IOException | UnsupportedOperationException e) {
            // read before: a file system without modes has nothing to say
        }
        return null;
    }

    /**
     * What is wrong with {@code cert}'s dates at {@code now} ("certificate expired on ..."), or
     * null. Such a certificate is served all the same, as by HAProxy and nginx (a client may
     * not check dates, and a renewal may be on its way), but an operator should hear of it at
     * the start, the reload and {@code hoststated -n}: clients that check refuse every
     * handshake.
     */
    static String outOfDates(X509Certificate cert, Instant now) {
        if (now.isAfter(cert.getNotAfter().toInstant())) {
            return "certificate expired on " + cert.getNotAfter().toInstant();
        }
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return "certificate not valid before " + cert.getNotBefore().toInstant();
        }
        return null;
    }

    private static byte[] read(Path p, RelayConfig r) throws IOException {
        // A FIFO would block the parent's loop until someone writes to it, and a device such
        // as /dev/zero (size 0) would fill its heap: only regular files are read, and no more
        // of them than a key pair may hold.
        if (Files.exists(p) && !Files.isRegularFile(p)) {
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": not a regular file");
        }
        byte[] pem;
        try (InputStream in = Files.newInputStream(p)) {
            pem = in.readNBytes(TlsKeyPair.MAX_PEM + 1);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": no such file", e);
        } catch (java.nio.file.AccessDeniedException e) {
            // Its message is the path alone (probe AC 3).
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": permission denied", e);
        } catch (IOException e) {
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": " + e.getMessage(), e);
        }
        if (pem.length > TlsKeyPair.MAX_PEM) {
            throw new IOException("relay " + r.name() + ": " + p + " is larger than " + TlsKeyPair.MAX_PEM + " bytes");
        }
        return pem;
    }
}
