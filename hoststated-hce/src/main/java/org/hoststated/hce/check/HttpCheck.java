package org.hoststated.hce.check;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.hoststated.core.config.DigestType;

/**
 * {@code check http|https "<path>" [host <name>] code <n>} and {@code ... digest "<hex>"}:
 * {@code HEAD} (code) or {@code GET} (digest) over HTTP/1.0, with a Host header if configured,
 * judged by an {@link HttpCodeValidator} or {@link HttpDigestValidator}, a new one per attempt.
 * Runs in hce on the event loop.
 */
public final class HttpCheck implements Check {
    private final Probe probe;
    private final byte[] request;
    private final Supplier<ResponseValidator> validators;
    private final String kind;
    /** The configured {@code host}, which a TLS probe asks the server for too (SNI); or null. */
    private final String host;

    private HttpCheck(Probe probe, String method, String path, String host, Supplier<ResponseValidator> validators,
            String kind) {
        this.probe = probe;
        this.host = host;
        this.validators = validators;
        this.kind = kind;
        String req = method + " " + path + " HTTP/1.0\r\n" + (host != null ? "Host: " + host + "\r\n" : "") + "\r\n";
        this.request = req.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** @param probe a {@link TlsProbe} for https, else a {@link PlainProbe} */
    public static HttpCheck code(Probe probe, String path, String host, int code) {
        return new HttpCheck(probe, "HEAD", path, host, () -> new HttpCodeValidator(code), "http code");
    }

    public static HttpCheck digest(Probe probe, String path, String host, DigestType type, String hex) {
        return new HttpCheck(probe, "GET", path, host, () -> new HttpDigestValidator(type, hex),
                "http digest");
    }

    @Override
    public String kind() {
        return kind;
    }

    @Override
    public boolean ssl() {
        return probe.tls();
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        probe.probe(target, deadlineNanos, request, validators.get(), host, done);
    }
}
