package org.hoststated.hce.check;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;

/**
 * {@code check http|https "<path>" [host <name>] code <n>} and {@code ... digest "<hex>"}:
 * {@code HEAD} (code) or {@code GET} (digest) over HTTP/1.0, with a Host header if configured,
 * judged by an {@link HttpCodeValidator} or {@link HttpDigestValidator}. Runs in hce on the
 * event loop.
 */
public final class HttpCheck implements Check {
    private final TcpProbe probe;
    private final boolean tls;
    private final byte[] request;
    private final ResponseValidator validator;
    private final String kind;

    private HttpCheck(TcpProbe probe, boolean tls, String method, String path, String host,
            ResponseValidator validator, String kind) {
        this.probe = probe;
        this.tls = tls;
        this.validator = validator;
        this.kind = kind;
        String req = method + " " + path + " HTTP/1.0\r\n" + (host != null ? "Host: " + host + "\r\n" : "") + "\r\n";
        this.request = req.getBytes(StandardCharsets.ISO_8859_1);
    }

    public static HttpCheck code(TcpProbe probe, boolean tls, String path, String host, int code) {
        return new HttpCheck(probe, tls, "HEAD", path, host, new HttpCodeValidator(code), "http code");
    }

    public static HttpCheck digest(TcpProbe probe, boolean tls, String path, String host,
            org.hoststated.core.config.DigestType type, String hex) {
        return new HttpCheck(probe, tls, "GET", path, host, new HttpDigestValidator(type, hex), "http digest");
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public boolean ssl() {
        return tls;
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        probe.probe(target, deadlineNanos, tls, request, validator, done);
    }
}
