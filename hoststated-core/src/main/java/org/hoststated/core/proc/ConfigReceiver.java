package org.hoststated.core.proc;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.MapResolver;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.ResolvedName;
import org.hoststated.core.msg.TlsKeyPair;

/**
 * Collects one configuration generation sent by the parent (RECONF_BEGIN, RECONF_NAME,
 * RECONF_CONF, RECONF_KEYPAIR, RECONF_END) and parses it when complete. Runs in an engine's
 * event loop.
 */
public final class ConfigReceiver {
    /** Bound on a configuration's text, so a runaway parent cannot fill the heap. */
    static final int MAX_TEXT = 64 << 20;

    private int generation = -1;
    private final StringBuilder text = new StringBuilder();
    private final Map<String, List<InetAddress>> names = new HashMap<>();
    private final Map<Integer, TlsKeyPair> keyPairs = new HashMap<>();

    /**
     * Takes one RECONF_* message.
     *
     * @return the complete configuration on RECONF_END, else null
     * @throws MalformedMessageException when the sequence is broken (a peer bug)
     * @throws ConfigRejectedException   when the text does not parse (reported to the parent)
     */
    public ReceivedConfig accept(Imsg m) throws MalformedMessageException, ConfigRejectedException {
        switch (m.type()) {
            case RECONF_BEGIN -> {
                generation = m.payload(Generation.class).generation();
                text.setLength(0);
                names.clear();
                keyPairs.clear();
                return null;
            }
            case RECONF_NAME -> {
                ResolvedName n = m.payload(ResolvedName.class);
                check(n.generation());
                names.put(n.name(), n.addresses());
                return null;
            }
            case RECONF_CONF -> {
                ConfChunk c = m.payload(ConfChunk.class);
                check(c.generation());
                if (text.length() + c.text().length() > MAX_TEXT) {
                    throw new MalformedMessageException("configuration text over " + MAX_TEXT + " characters");
                }
                text.append(c.text());
                return null;
            }
            case RECONF_KEYPAIR -> {
                TlsKeyPair k = m.payload(TlsKeyPair.class);
                check(k.generation());
                keyPairs.put(k.relayId(), k);
                return null;
            }
            case RECONF_END -> {
                check(m.payload(Generation.class).generation());
                return finish();
            }
            default -> throw new IllegalArgumentException("not a reconf message: " + m.type());
        }
    }

    private ReceivedConfig finish() throws ConfigRejectedException {
        int gen = generation;
        generation = -1;
        LoadResult r = ConfigLoader.parse(text.toString(), "configuration", Map.of(), new MapResolver(names));
        text.setLength(0);
        names.clear();
        // The generation takes its key pairs along: kept here, every relay's key stayed in
        // the heap as long as the configuration ran (review CF).
        Map<Integer, TlsKeyPair> keys = Map.copyOf(keyPairs);
        keyPairs.clear();
        if (!r.ok()) {
            throw new ConfigRejectedException(gen, "generation " + gen + ": " + r.errors().get(0));
        }
        return new ReceivedConfig(gen, r.config(), keys);
    }

    /** Key pairs held for a generation still coming; for tests. */
    int keyPairsHeld() {
        return keyPairs.size();
    }

    private void check(int gen) throws MalformedMessageException {
        if (generation < 0 || gen != generation) {
            throw new MalformedMessageException("configuration message for generation " + gen
                    + " outside its RECONF_BEGIN");
        }
    }

    /** A configuration that parsed in the parent but not here: a bug, reported, not fatal. */
    public static final class ConfigRejectedException extends Exception {
        private static final long serialVersionUID = 1L;

        private final int generation;

        ConfigRejectedException(int generation, String message) {
            super(message, null, false, false);
            this.generation = generation;
        }

        /** The generation refused. */
        public int generation() {
            return generation;
        }
    }
}
