package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A check's failed handshake reads in words, BoringSSL's reason in brackets (probe BA). */
class TlsFailureWordsTest {
    @Test
    void boringSslsReasonsReadInWords() {
        assertEquals("the server refused the TLS versions offered (1.2 and 1.3) (TLSV1_ALERT_PROTOCOL_VERSION)",
                TlsFailureWords.of("error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION"));
        assertEquals("the server refused the handshake (no cipher suite in common, or it wants a client certificate)"
                + " (SSLV3_ALERT_HANDSHAKE_FAILURE)",
                TlsFailureWords.of("error:10000410:SSL routines:OPENSSL_internal:SSLV3_ALERT_HANDSHAKE_FAILURE"));
        // A TLS 1.3 server's refusal after the handshake (probe CA).
        assertEquals("the server wants a client certificate (TLSV1_ALERT_CERTIFICATE_REQUIRED)",
                TlsFailureWords.of("error:1000045c:SSL routines:OPENSSL_internal:TLSV1_ALERT_CERTIFICATE_REQUIRED"));
        assertEquals("error:10000099:SSL routines:OPENSSL_internal:SOMETHING_ELSE",
                TlsFailureWords.of("error:10000099:SSL routines:OPENSSL_internal:SOMETHING_ELSE"));
        assertEquals("handshake timed out", TlsFailureWords.of("handshake timed out"));
    }
}
