package org.hoststated.core.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class OpenSslCipherListTest {
    static final List<String> JDK = List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
            "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA",
            "TLS_EMPTY_RENEGOTIATION_INFO_SCSV");

    @Test
    void theOriginalsDefaultKeepsStrongSuitesInOrderAndDropsAnonymousAndWeak() {
        List<String> s = OpenSslCipherList.apply("HIGH:!ADH", JDK).suites();
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
                "TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"), s);
    }

    /** This implementation's default: forward secrecy and AEAD only; TLS 1.3 as ever (probe AN). */
    @Test
    void theDefaultKeepsOnlyForwardSecretAeadSuites() {
        assertEquals(List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
                "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
                OpenSslCipherList.apply(org.hoststated.core.config.SslOptions.DEFAULT_CIPHERS, JDK).suites());
    }

    @Test
    void operatorsAndIntersections() {
        assertEquals(List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
                tls12(OpenSslCipherList.apply("ECDHE+AESGCM:+aECDSA", JDK).suites()));
        assertEquals(List.of("TLS_RSA_WITH_AES_256_CBC_SHA"),
                tls12(OpenSslCipherList.apply("AES256-SHA", JDK).suites()), "an OpenSSL suite name");
        assertEquals(List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
                "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_DH_anon_WITH_AES_128_CBC_SHA",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_256_CBC_SHA"),
                tls12(OpenSslCipherList.apply("ALL:-AES256:AES256", JDK).suites()), "a deleted suite may come back, last");
        List<String> killed = tls12(OpenSslCipherList.apply("!kRSA:ALL", JDK).suites());
        assertFalse(killed.contains("TLS_RSA_WITH_AES_256_CBC_SHA"), "a killed suite is not added back");
        List<String> strength = tls12(OpenSslCipherList.apply("kRSA:@STRENGTH", JDK).suites());
        assertEquals(List.of("TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_3DES_EDE_CBC_SHA"), strength);
    }

    @Test
    void unknownWordsAreSkippedAndReported() {
        // MD5 and EXPORT are known, and match nothing (probe D: "!MD5" was said to be unknown).
        OpenSslCipherList.Result r = OpenSslCipherList.apply("HIGH:!ADH:!KRB5:!MD5:!EXPORT:@SECLEVEL=2", JDK);
        assertEquals(List.of("!KRB5"), r.unknownWords());
        assertTrue(r.suites().contains("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"));
    }

    @Test
    void aTls13SuiteIsNotCountedAmongTheUnknownWords() {
        OpenSslCipherList.Result r = OpenSslCipherList.apply("ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256:FOOBAR", JDK);
        assertEquals(List.of("FOOBAR"), r.notKnown());
        assertEquals(List.of("TLS_AES_128_GCM_SHA256"), r.tls13Suites());
    }

    @Test
    void aListThatLeavesNothingIsAnError() {
        assertThrows(IllegalArgumentException.class, () -> OpenSslCipherList.apply("!ALL", JDK));
        assertThrows(IllegalArgumentException.class, () -> OpenSslCipherList.apply("NOSUCHWORD", JDK));
    }

    static List<String> tls12(List<String> suites) {
        return suites.stream().filter(s -> s.contains("_WITH_")).toList();
    }
}
