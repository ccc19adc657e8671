package org.hoststated.relay;

import io.netty.handler.ssl.OpenSslSessionContext;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import org.hoststated.core.config.SslOptions;
import org.hoststated.core.msg.TlsKeyPair;
import org.hoststated.core.tls.PemKeyPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS server contexts of the applied generation's relays, one per distinct set of inputs
 * (the same certificate and key bytes, the same {@code ssl} options, the same provider): relays
 * on the same inputs share one context, built once, so 2,000 relays on one address's
 * certificate cost one context, not 2,000 (each built on the engine's loop: parsing the key,
 * checking it against the certificate, handing it to BoringSSL; 3 ms apiece, and a reload
 * adding 2,000 such relays held the loop 6 s, probe U). A reload that leaves a relay's inputs
 * as they were hands it the context it had: its session cache lives in the context, so TLS
 * 1.2 clients that resume by session id keep resuming across the reload, and the reload pays
 * no context construction. Session tickets are sealed with keys per certificate and key
 * ({@link TicketKeys}), kept while those stay the same (a change of {@code ssl} options alone
 * keeps them valid) and replaced with them, as the session cache is: a resumed session gets no
 * certificate, so an old ticket would keep its client on the old identity. The current key is
 * also replaced every hour ({@link #rotateTicketKeys}), the one before it still opening tickets.
 * Inputs are compared by content (digests), never by file name or time: the parent sends the
 * bytes it read at each reload.
 *
 * <p>Relays sharing a context share its session cache ({@code session cache <n>} bounds the
 * sessions of all of them, where each relay had its own) and its ticket key: a client may
 * resume at one such relay a session it began at another. Both serve the same certificate with
 * the same key and options, and no relay authenticates clients by TLS, so the resumed session
 * is what a full handshake would have given. (netty-tcnative sets a session id context per
 * context only, not per session, so sessions cannot be kept apart within one context.)
 *
 * <p>Lifetime: nothing here frees a context. A context of BoringSSL is Netty's
 * {@code OpenSslServerContext}, whose native {@code SSL_CTX} is freed by its finalizer once
 * no one references it; each open session's engine references (and retains) it, and a
 * retired server's pipeline initializer keeps it until that server's last session ended. This
 * registry only stops referencing a context the new generation does not use; so a kept
 * context is never freed under a running session, and a replaced one is not kept past its
 * last session. Used on the relay engine's loop, and a {@link Next} also on the thread that
 * builds a configuration's new contexts ahead ({@code RelayEngine.prepareConfig}), one thread
 * at a time: the loop applies that configuration, and commits, only once the builder is done,
 * and its parent messages (the next configuration) wait till then.
 */
public final class TlsContexts {
    private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);

    /** A context with what it was built from, and the keys that seal its session tickets. */
    private record Held(Inputs inputs, TicketKeys ticketKeys, SslContext context) {
    }

    /** The applied generation's contexts, by their inputs. */
    private Map<Inputs, Held> applied = Map.of();
    private long built;

    /**
     * What a context is built from, compared by content. The PEM bytes are kept as SHA-256
     * digests: this copy outlives the configuration message and need not hold the key.
     */
    record Inputs(SslProvider provider, byte[] certificateDigest, byte[] keyDigest, SslOptions options) {
        static Inputs of(TlsKeyPair pair, SslOptions options) {
            return new Inputs(RelayTls.provider(), sha256(pair.certificatePem()), sha256(pair.keyPem()),
                    options != null ? options : SslOptions.defaults());
        }

        /** Whether {@code o} serves the same certificate with the same key. */
        boolean sameIdentity(Inputs o) {
            return MessageDigest.isEqual(certificateDigest, o.certificateDigest)
                    && MessageDigest.isEqual(keyDigest, o.keyDigest);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Inputs i && provider == i.provider && options.equals(i.options)
                    && MessageDigest.isEqual(certificateDigest, i.certificateDigest)
                    && MessageDigest.isEqual(keyDigest, i.keyDigest);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(certificateDigest) + options.hashCode();
        }

        private static byte[] sha256(byte[] b) {
            try {
                return MessageDigest.getInstance("SHA-256").digest(b);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no SHA-256 in this Java runtime", e);
            }
        }
    }

    /**
     * The contexts of a generation being built: {@link #context} takes each relay's, and
     * {@link TlsContexts#commit} makes them the applied ones once the whole generation was
     * built. A generation that fails is dropped and changes nothing.
     */
    public final class Next {
        private final Map<Inputs, Held> chosen = new HashMap<>();
        /** The relays this generation has warned of (a relay's context is asked for twice: ahead, then at the apply). */
        private final java.util.Set<String> named = new java.util.HashSet<>();

        private Next() {
        }

        /**
         * Whether {@link #context} would build a new context for these inputs: neither this
         * generation nor the applied one has one. False without a key pair.
         */
        public boolean wouldBuild(TlsKeyPair pair, SslOptions options) {
            if (pair == null) {
                return false;
            }
            Inputs in = Inputs.of(pair, options);
            return !chosen.containsKey(in) && !applied.containsKey(in);
        }

        /**
         * The context of relay {@code relay}: the one this generation already has for the same
         * inputs, else the applied generation's, else a new one.
         *
         * @throws SSLException the JDK cannot build the context
         * @throws IllegalArgumentException the certificate, key or cipher list cannot be used
         */
        public SslContext context(String relay, TlsKeyPair pair, SslOptions options) throws SSLException {
            Inputs in = Inputs.of(pair, options);
            Held h = chosen.get(in);
            if (h == null) {
                h = applied.get(in);
                if (h != null) {
                    log.debug("relay {}: TLS settings unchanged, context and session cache kept", relay);
                } else {
                    TicketKeys keys = ticketKeys(in);
                    h = new Held(in, keys, RelayTls.serverContext(relay, pair, options, keys.keys()));
                    built++;
                    chosen.put(in, h);
                    named.add(relay); // its build warned of what it would
                    return h.context();
                }
                chosen.put(in, h);
            }
            if (in.provider() == SslProvider.OPENSSL && !(h.context() instanceof io.netty.handler.ssl.OpenSslContext)
                    && named.add(relay)) {
                // Each relay served by the JDK is named, not only the one whose context was built
                // (probe AT: the second of two relays on one such context went unnamed).
                // The key is parsed again for its algorithm: only for a relay on a context another's
                // configuration built, once per generation.
                RelayTls.warnServedByJdk(relay, PemKeyPair.parse(pair.certificatePem(), pair.keyPem()).key()
                        .getAlgorithm());
            }
            return h.context();
        }

        /**
         * The ticket keys of the contexts serving {@code in}'s certificate and key, in this
         * generation or the applied one, else new ones. A ticket resumes a session without the
         * certificate: tickets sealed under another certificate or key must not open, or the
         * client keeps the old identity.
         */
        private TicketKeys ticketKeys(Inputs in) {
            for (Map<Inputs, Held> m : List.of(chosen, applied)) {
                for (Held h : m.values()) {
                    if (h.inputs().sameIdentity(in)) {
                        return h.ticketKeys();
                    }
                }
            }
            return new TicketKeys();
        }
    }

    /** Starts choosing the contexts of the next generation. */
    public Next next() {
        return new Next();
    }

    /**
     * {@code next}'s contexts are the applied ones from now on; those it did not take are no
     * longer referenced from here (their servers and sessions still hold them while they run).
     */
    public void commit(Next next) {
        Map<Inputs, Held> before = applied;
        applied = Map.copyOf(next.chosen);
        // A rotation while the new contexts were built (on their own thread) reached only the
        // applied ones: a new context went on sealing with the key it had retired, whose
        // tickets then lasted less than a rotation (review CF). Each new one takes its keys as
        // they are; those kept from before had every rotation.
        for (Held h : applied.values()) {
            if (before.get(h.inputs()) != h) {
                setKeys(h);
            }
        }
    }

    /**
     * Gives each certificate and key of the applied generation a new current ticket key
     * ({@link TicketKeys#rotate}) and its contexts the new keys; every {@link
     * TicketKeys#ROTATE_SEC} seconds, on the engine's loop. A context under {@code session
     * cache disable} issues no tickets and is left as it is.
     */
    public void rotateTicketKeys() {
        java.util.Set<TicketKeys> rotated = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (Held h : applied.values()) {
            if (issuesTickets(h) && rotated.add(h.ticketKeys())) {
                h.ticketKeys().rotate();
            }
            setKeys(h);
        }
    }

    /** Whether {@code h}'s context issues tickets: BoringSSL's, not under {@code session cache disable}. */
    private static boolean issuesTickets(Held h) {
        return h.context().sessionContext() instanceof OpenSslSessionContext s && s.isSessionCacheEnabled();
    }

    /** Gives {@code h}'s context the current keys of its certificate, if it issues tickets. */
    private static void setKeys(Held h) {
        if (issuesTickets(h)) {
            ((OpenSslSessionContext) h.context().sessionContext()).setTicketKeys(h.ticketKeys().keys());
        }
    }

    /** How many contexts were built since the engine started (tests and the debug log). */
    public long built() {
        return built;
    }

    /** How many contexts the applied generation holds: one per distinct set of inputs. */
    public int size() {
        return applied.size();
    }
}
