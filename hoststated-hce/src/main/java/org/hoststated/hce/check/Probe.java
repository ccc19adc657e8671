package org.hoststated.hce.check;

import java.util.function.Consumer;

/**
 * The connect, send, read engine the TCP-family checks share (relayd's check_tcp.c): connect,
 * send the request if any, and read until the {@link ResponseValidator} decides, the host
 * closes, or the deadline passes. {@link PlainProbe} does it on a bare socket, {@link TlsProbe}
 * over TLS. Runs in hce on the engine's event loop; every outcome is a {@link CheckResult}.
 */
public interface Probe {
    /**
     * Probes {@code target}; {@code done} is called exactly once, on the loop.
     *
     * @param request   bytes to send after connecting, or null
     * @param validator decides on what is read; null when connecting is all the check asks
     */
    void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator validator,
            Consumer<CheckResult> done);

    /**
     * As {@link #probe(CheckTarget, long, byte[], ResponseValidator, Consumer)}, with the name
     * a TLS probe asks the server for (SNI; null for the host's own name); a plain probe has no
     * use for it.
     */
    default void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator validator,
            String serverName, Consumer<CheckResult> done) {
        probe(target, deadlineNanos, request, validator, done);
    }

    /** Whether the probe speaks TLS (" use ssl" in the log line). */
    boolean tls();
}
