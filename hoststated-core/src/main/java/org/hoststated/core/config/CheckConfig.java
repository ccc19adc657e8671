package org.hoststated.core.config;

/**
 * The health check of a table; used by hce. Fields not meaningful for a type are null, 0 or
 * false. Immutable.
 *
 * @param ssl https, or send/expect over SSL (also true for {@code check ssl})
 * @param path URL path for HTTP checks
 * @param host value of the Host header for HTTP checks, or null
 * @param code expected HTTP status for HTTP_CODE
 * @param digest lower-case hex digest for HTTP_DIGEST
 * @param send data sent by SEND_EXPECT, null for {@code nothing}
 * @param expect glob matched against the answer of SEND_EXPECT
 * @param script program run by SCRIPT
 */
public record CheckConfig(CheckType type, boolean ssl, String path, String host, int code,
        String digest, DigestType digestType, String send, String expect, String script) {

    public static CheckConfig none() {
        return new CheckConfig(CheckType.NONE, false, null, null, 0, null, null, null, null, null);
    }

    public static CheckConfig icmp() {
        return new CheckConfig(CheckType.ICMP, false, null, null, 0, null, null, null, null, null);
    }

    public static CheckConfig tcp() {
        return new CheckConfig(CheckType.TCP, false, null, null, 0, null, null, null, null, null);
    }

    public static CheckConfig sslHandshake() {
        return new CheckConfig(CheckType.SSL, true, null, null, 0, null, null, null, null, null);
    }

    public static CheckConfig httpCode(boolean https, String path, String host, int code) {
        return new CheckConfig(CheckType.HTTP_CODE, https, path, host, code, null, null, null, null,
                null);
    }

    public static CheckConfig httpDigest(boolean https, String path, String host, String digest) {
        DigestType t = digest.length() == 32 ? DigestType.MD5 : DigestType.SHA1;
        return new CheckConfig(CheckType.HTTP_DIGEST, https, path, host, 0, digest, t, null, null,
                null);
    }

    public static CheckConfig sendExpect(String send, String expect, boolean ssl) {
        return new CheckConfig(CheckType.SEND_EXPECT, ssl, null, null, 0, null, null, send, expect,
                null);
    }

    public static CheckConfig script(String path) {
        return new CheckConfig(CheckType.SCRIPT, false, null, null, 0, null, null, null, null, path);
    }
}
