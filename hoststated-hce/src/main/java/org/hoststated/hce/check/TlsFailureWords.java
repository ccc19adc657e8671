package org.hoststated.hce.check;

import java.util.Map;

/**
 * A failed check handshake in words: BoringSSL's error string
 * ("error:1000042e:SSL routines:OPENSSL_internal:TLSV1_ALERT_PROTOCOL_VERSION") does not say
 * that the server wants another TLS version, or a client certificate (probe BA). The reason
 * stays in brackets, for a search; other texts pass as they are. Stateless.
 */
final class TlsFailureWords {
    private static final Map<String, String> REASONS = Map.of(
            "TLSV1_ALERT_PROTOCOL_VERSION", "the server refused the TLS versions offered (1.2 and 1.3)",
            "UNSUPPORTED_PROTOCOL", "the server offers neither TLS 1.2 nor 1.3",
            "SSLV3_ALERT_HANDSHAKE_FAILURE",
                    "the server refused the handshake (no cipher suite in common, or it wants a client certificate)",
            "TLSV1_ALERT_CERTIFICATE_REQUIRED", "the server wants a client certificate",
            "CERTIFICATE_REQUIRED", "the server wants a client certificate",
            "WRONG_VERSION_NUMBER", "the server does not speak TLS on this port",
            "TLSV1_ALERT_UNRECOGNIZED_NAME", "the server knows no host of the name the check asked for",
            "TLSV1_ALERT_INTERNAL_ERROR", "the server failed the handshake (an internal_error alert)",
            "NO_CIPHERS_AVAILABLE", "no cipher suite in common with the server");

    private TlsFailureWords() {
    }

    /** {@code message} in words where it is one of BoringSSL's reasons known here. */
    static String of(String message) {
        if (!message.startsWith("error:")) {
            return message;
        }
        String reason = message.substring(message.lastIndexOf(':') + 1);
        String words = REASONS.get(reason);
        return words == null ? message : words + " (" + reason + ")";
    }
}
