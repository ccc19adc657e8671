package org.hoststated.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Certificate and key files as operators have them: a chain with its intermediate, damaged
 * or out of order, and keys the relay cannot serve. Fixtures in {@code tls/}: a P-256 server
 * certificate for 192.0.2.9 signed by an intermediate (both valid until 2126), its key, and a
 * self-signed secp256k1 certificate with its key.
 */
class PemKeyPairTest {
    static String resource(String name) throws IOException {
        try (InputStream in = PemKeyPairTest.class.getResourceAsStream("/tls/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    static String refusal(String crt, String key) {
        return assertThrows(IllegalArgumentException.class, () -> PemKeyPair.parse(bytes(crt), bytes(key)))
                .getMessage();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void theServersCertificateThenItsIntermediateIsTheChain() throws Exception {
        PemKeyPair p = PemKeyPair.parse(bytes(resource("server.crt") + resource("intermediate.crt")),
                bytes(resource("server.key")));
        assertEquals(2, p.chain().length);
        assertEquals("CN=test intermediate", p.chain()[1].getSubjectX500Principal().getName());
    }

    /**
     * A damaged block was skipped as if it were not there: the server's certificate went out
     * without its intermediate, with "configuration OK", and every client that needs the
     * intermediate refused the handshake. nginx refuses such a file ("bad base64 decode",
     * "bad end line").
     */
    @Test
    void aDamagedIntermediateIsAnErrorNotADroppedCertificate() throws Exception {
        String server = resource("server.crt");
        String key = resource("server.key");
        String[] lines = resource("intermediate.crt").split("\n");
        lines[3] = "#" + lines[3].substring(1);
        String badBase64 = String.join("\n", lines) + "\n";
        assertEquals("certificate file: certificate 2 is damaged (bad base64)", refusal(server + badBase64, key));
        String noEnd = resource("intermediate.crt").replace("-----END CERTIFICATE-----", "");
        assertEquals("certificate file: certificate 2 is damaged (no END CERTIFICATE line)",
                refusal(server + noEnd, key));
        String damagedKey = key.replace("-----END PRIVATE KEY-----", "");
        assertEquals("key file: the PRIVATE KEY block is damaged (no END PRIVATE KEY line)",
                refusal(server, damagedKey));
    }

    /** A certificate that does not parse is named by its place in the file, without Java's exception names. */
    @Test
    void aCertificateThatDoesNotParseIsNamedByItsPlace() throws Exception {
        String junk = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n";
        String m = refusal(resource("server.crt") + junk, resource("server.key"));
        assertTrue(m.startsWith("certificate file: certificate 2: "), m);
        assertFalse(m.contains("java."), m);
    }

    /**
     * The intermediate first: "the key does not belong to the certificate" sent the operator
     * looking for another key, when the files only had to be put in order.
     */
    @Test
    void aChainWithTheIntermediateFirstSaysSo() throws Exception {
        assertEquals("the key belongs to certificate 2 of the certificate file, not to the first: the server's"
                + " certificate must come first, then its intermediates",
                refusal(resource("intermediate.crt") + resource("server.crt"), resource("server.key")));
    }

    /**
     * A secp256k1 key was refused as not belonging to its certificate ("Curve not supported"),
     * which it does: BoringSSL serves EC keys on P-256, P-384 and P-521 only.
     */
    @Test
    void aKeyOnACurveTheRelayCannotServeIsNamed() throws Exception {
        assertEquals("key file: the relay serves EC keys on P-256, P-384 and P-521, not secp256k1",
                refusal(resource("secp256k1.crt"), resource("secp256k1.key")));
    }

    /**
     * An RSA key of another size than the certificate's is refused in the same words as any
     * key that is not the certificate's, without the JDK's "Bad signature length: got 128 but
     * was expecting 256" (probe AT).
     */
    @Test
    void anRsaKeyOfAnotherSizeIsRefusedPlainly() throws Exception {
        assertEquals("the key does not belong to the certificate",
                refusal(resource("rsa2048.crt"), resource("rsa1024.key")));
    }
}
