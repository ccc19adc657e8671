package org.hoststated.core.tls;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A relay listener's certificate chain and private key, read from the PEM files the parent
 * sent. Keys are accepted in the forms OpenSSL writes: PKCS#8 ({@code BEGIN PRIVATE KEY}),
 * PKCS#1 RSA ({@code BEGIN RSA PRIVATE KEY}, {@code openssl genrsa -traditional}) and SEC1 EC
 * ({@code BEGIN EC PRIVATE KEY}, with or without a leading {@code BEGIN EC PARAMETERS} block, as
 * {@code openssl ecparam -genkey} writes it). The older forms are rewrapped as PKCS#8, which is
 * all the JDK reads. Encrypted keys are refused: there is no one to type the pass phrase. The
 * key must be an RSA or EC one (P-256, P-384, P-521), the kinds the relay's TLS serves, and
 * belong to the first certificate. Immutable.
 */
public record PemKeyPair(PrivateKey key, X509Certificate[] chain) {
    /** id-ecPublicKey, 1.2.840.10045.2.1. */
    private static final byte[] OID_EC = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02, 0x01};
    /** The curves BoringSSL signs TLS handshakes with: P-256, P-384, P-521. */
    private static final String[] SERVED_CURVES = {"secp256r1", "secp384r1", "secp521r1"};
    /** rsaEncryption, 1.2.840.113549.1.1.1, with its NULL parameters. */
    private static final byte[] ALG_RSA = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7,
        0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};

    /**
     * @throws IllegalArgumentException saying what is wrong with the certificate or key
     */
    public static PemKeyPair parse(byte[] certificatePem, byte[] keyPem) {
        X509Certificate[] chain = certificates(certificatePem);
        PrivateKey key = privateKey(keyPem);
        String alg = signatureAlgorithm(key);
        try {
            checkMatch(key, chain[0].getPublicKey(), alg);
        } catch (IllegalArgumentException e) {
            throw outOfOrder(key, chain, alg).orElse(e);
        }
        return new PemKeyPair(key, chain);
    }

    /**
     * The error for a key that belongs to a later certificate of the file: the intermediate was
     * put first (nginx then says "key values mismatch", HAProxy "inconsistencies between private
     * key and certificate"), and "does not belong" sent the operator looking for another key.
     */
    private static Optional<IllegalArgumentException> outOfOrder(PrivateKey key, X509Certificate[] chain, String alg) {
        for (int i = 1; i < chain.length; i++) {
            try {
                checkMatch(key, chain[i].getPublicKey(), alg);
            } catch (IllegalArgumentException notThisOne) {
                continue;
            }
            return Optional.of(new IllegalArgumentException("the key belongs to certificate " + (i + 1)
                    + " of the certificate file, not to the first: the server's certificate must come first,"
                    + " then its intermediates"));
        }
        return Optional.empty();
    }

    /**
     * The file's certificates, in order. Blocks of other kinds are skipped, as OpenSSL's PEM
     * reader skips them: a file with the certificate and its key together (the form HAProxy
     * reads) serves the certificate; the JDK's reader took the key for a certificate and said
     * only "signed fields invalid". A damaged certificate block is an error, named by its place
     * in the file: skipped, it was a chain served without its intermediate.
     */
    static X509Certificate[] certificates(byte[] pem) {
        CertificateFactory cf;
        try {
            cf = CertificateFactory.getInstance("X.509");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        List<X509Certificate> out = new ArrayList<>();
        for (PemBlocks.Block b : PemBlocks.read(pem).blocks()) {
            if (b.label().equals("CERTIFICATE") || b.label().equals("X509 CERTIFICATE")) {
                String which = "certificate file: certificate " + (out.size() + 1);
                if (b.der() == null) {
                    throw new IllegalArgumentException(which + " is damaged (" + b.damage() + ")");
                }
                try {
                    out.add((X509Certificate) cf.generateCertificate(new ByteArrayInputStream(b.der())));
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException(which + ": " + innermostMessage(e), e);
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no certificate in the certificate file");
        }
        return out.toArray(new X509Certificate[0]);
    }

    /** The message of {@code e}'s deepest cause: the JDK wraps it in its own, class names and all. */
    private static String innermostMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause().getMessage() != null) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    /** Whether {@code pem} holds a private key block (a certificate file with its key pasted in). */
    public static boolean holdsPrivateKey(byte[] pem) {
        return PemBlocks.read(pem).blocks().stream().anyMatch(b -> b.label().endsWith("PRIVATE KEY"));
    }

    static PrivateKey privateKey(byte[] pem) {
        byte[] ecParams = null;
        for (PemBlocks.Block b : PemBlocks.read(pem).blocks()) {
            String type = b.label();
            boolean isKey = type.endsWith("PRIVATE KEY");
            if (isKey && (type.equals("ENCRYPTED PRIVATE KEY") || b.headers())) {
                throw new IllegalArgumentException(
                        "key file: the key is encrypted; decrypt it (openssl pkey -in key -out key)");
            }
            if (b.der() == null && (isKey || type.equals("EC PARAMETERS"))) {
                throw new IllegalArgumentException("key file: the " + type + " block is damaged (" + b.damage() + ")");
            }
            byte[] der = b.der();
            switch (type) {
                case "EC PARAMETERS" -> ecParams = der;
                case "PRIVATE KEY" -> {
                    return pkcs8(der);
                }
                case "RSA PRIVATE KEY" -> {
                    return pkcs8(wrap(ALG_RSA, der));
                }
                case "EC PRIVATE KEY" -> {
                    return pkcs8(wrap(ecAlgorithm(der, ecParams), der));
                }
                default -> {
                    // Other blocks (a certificate kept in the same file) are skipped.
                }
            }
        }
        throw new IllegalArgumentException("key file: no PEM private key (PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)");
    }

    private static PrivateKey pkcs8(byte[] der) {
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String alg : new String[] {"RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS", "DSA"}) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(spec);
            } catch (GeneralSecurityException | RuntimeException e) {
                // Not this algorithm; try the next.
            }
        }
        throw new IllegalArgumentException("key file: not a usable RSA, EC or EdDSA private key");
    }

    /**
     * The AlgorithmIdentifier of a SEC1 key: id-ecPublicKey with the named curve from the key's
     * own {@code [0] parameters}, else from the EC PARAMETERS block.
     */
    private static byte[] ecAlgorithm(byte[] sec1, byte[] ecParams) {
        byte[] curve = Der.contextField(sec1, 0);
        if (curve == null) {
            curve = ecParams;
        }
        if (curve == null || curve.length < 2 || curve[0] != 0x06) {
            throw new IllegalArgumentException("key file: EC key without a named curve");
        }
        return Der.sequence(OID_EC, curve);
    }

    /** PrivateKeyInfo: version 0, the algorithm, the key as an OCTET STRING. */
    private static byte[] wrap(byte[] algorithm, byte[] key) {
        return Der.sequence(new byte[] {0x02, 0x01, 0x00}, algorithm, Der.tlv(0x04, key));
    }

    /**
     * The signature algorithm that shows whether a key is its certificate's, for the keys the
     * relay can serve. BoringSSL, through Netty, serves RSA and EC keys only: an Ed25519 key was taken and then
     * failed every handshake ("Unable to find key material"), an RSASSA-PSS one failed the relay
     * engine's build of the configuration. Both are refused here, where the parent and
     * {@code hoststated -n} see it, with the file's name.
     */
    private static String signatureAlgorithm(PrivateKey key) {
        return switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> {
                checkCurve((ECPrivateKey) key);
                yield "SHA256withECDSA";
            }
            default -> throw new IllegalArgumentException("key file: the relay serves RSA and EC keys, not "
                    + key.getAlgorithm());
        };
    }

    /**
     * Refuses an EC key on a curve BoringSSL does not sign TLS handshakes with: a secp256k1
     * key was refused as not belonging to its certificate, for the JDK could not sign with it.
     */
    private static void checkCurve(ECPrivateKey key) {
        ECParameterSpec p = key.getParams();
        for (String curve : SERVED_CURVES) {
            if (sameCurve(p, curveSpec(curve))) {
                return;
            }
        }
        // The JDK's named curves say "secp256k1 (1.3.132.0.10)"; others have no name.
        String s = p.toString();
        String name = s.contains(" (") ? s.substring(0, s.indexOf(" ("))
                : "a curve of " + p.getOrder().bitLength() + " bits";
        throw new IllegalArgumentException("key file: the relay serves EC keys on P-256, P-384 and P-521, not " + name);
    }

    private static ECParameterSpec curveSpec(String name) {
        try {
            AlgorithmParameters a = AlgorithmParameters.getInstance("EC");
            a.init(new ECGenParameterSpec(name));
            return a.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK lacks " + name, e);
        }
    }

    private static boolean sameCurve(ECParameterSpec a, ECParameterSpec b) {
        return a.getCurve().equals(b.getCurve()) && a.getGenerator().equals(b.getGenerator())
                && a.getOrder().equals(b.getOrder());
    }

    /**
     * Signs and verifies a nonce with {@code alg}: a key that is not the certificate's is refused
     * now, not at the first handshake.
     */
    private static void checkMatch(PrivateKey key, PublicKey pub, String alg) {
        if (!key.getAlgorithm().equals(pub.getAlgorithm())) {
            // Said plainly: signing would fail with the JDK's "no installed provider" text.
            throw new IllegalArgumentException("the key does not belong to the certificate (an " + key.getAlgorithm()
                    + " key, the certificate's is " + pub.getAlgorithm() + ")");
        }
        try {
            byte[] nonce = new byte[32];
            new SecureRandom().nextBytes(nonce);
            Signature s = Signature.getInstance(alg);
            s.initSign(key);
            s.update(nonce);
            byte[] sig = s.sign();
            Signature v = Signature.getInstance(alg);
            v.initVerify(pub);
            v.update(nonce);
            if (!v.verify(sig)) {
                throw new IllegalArgumentException("the key does not belong to the certificate");
            }
        } catch (java.security.SignatureException e) {
            // The verification itself refused the signature (an RSA key of another size: "Bad
            // signature length: got 128 but was expecting 256", the JDK's words, probe AT).
            throw new IllegalArgumentException("the key does not belong to the certificate", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the key does not belong to the certificate (" + e.getMessage() + ")", e);
        }
    }

    /** The few DER pieces a key rewrap needs. */
    static final class Der {
        private Der() {
        }

        static byte[] tlv(int tag, byte[] value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
            out.write(tag);
            int n = value.length;
            if (n < 0x80) {
                out.write(n);
            } else if (n < 0x100) {
                out.write(0x81);
                out.write(n);
            } else if (n < 0x10000) {
                out.write(0x82);
                out.write(n >>> 8);
                out.write(n);
            } else {
                out.write(0x83);
                out.write(n >>> 16);
                out.write(n >>> 8);
                out.write(n);
            }
            out.writeBytes(value);
            return out.toByteArray();
        }

        static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                body.writeBytes(p);
            }
            return tlv(0x30, body.toByteArray());
        }

        /**
         * The content of the context-specific constructed field {@code [tag]} directly inside
         * the top-level SEQUENCE {@code der}, or null when absent or malformed.
         */
        static byte[] contextField(byte[] der, int tag) {
            int[] seq = header(der, 0);
            if (seq == null || der[0] != 0x30) {
                return null;
            }
            int at = seq[0];
            int end = Math.min(der.length, seq[0] + seq[1]);
            while (at < end) {
                int[] h = header(der, at);
                if (h == null || h[0] + h[1] > end) {
                    return null;
                }
                if ((der[at] & 0xff) == (0xa0 | tag)) {
                    byte[] out = new byte[h[1]];
                    System.arraycopy(der, h[0], out, 0, h[1]);
                    return out;
                }
                at = h[0] + h[1];
            }
            return null;
        }

        /** {content offset, content length} of the TLV at {@code at}, or null. */
        private static int[] header(byte[] der, int at) {
            if (at + 2 > der.length) {
                return null;
            }
            int len = der[at + 1] & 0xff;
            int off = at + 2;
            if (len >= 0x80) {
                int n = len & 0x7f;
                if (n == 0 || n > 3 || off + n > der.length) {
                    return null;
                }
                len = 0;
                for (int i = 0; i < n; i++) {
                    len = (len << 8) | (der[off + i] & 0xff);
                }
                off += n;
            }
            return off + len <= der.length ? new int[] {off, len} : null;
        }
    }
}
