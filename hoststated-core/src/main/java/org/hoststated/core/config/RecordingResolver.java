package org.hoststated.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wraps another resolver and remembers every answer. The parent loads with it and sends the
 * recorded map to chrooted engines, which then load the same text with a {@link MapResolver}
 * and get the same addresses without DNS. Not thread-safe: one instance per load.
 */
public final class RecordingResolver implements Resolver {
    private final Resolver delegate;
    private final Map<String, List<InetAddress>> answers = new LinkedHashMap<>();

    public RecordingResolver(Resolver delegate) {
        this.delegate = delegate;
    }

    @Override
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        List<InetAddress> known = answers.get(name);
        if (known != null) {
            return known;
        }
        List<InetAddress> result = List.copyOf(delegate.resolve(name));
        answers.put(name, result);
        return result;
    }

    /** The names resolved so far, in first-use order, with their addresses (read-only view). */
    public Map<String, List<InetAddress>> recorded() {
        return Collections.unmodifiableMap(answers);
    }
}
