package org.hoststated.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;

/**
 * Answers only from a fixed map; used inside a chroot (engines) and by tests, where DNS must
 * not be used. Immutable.
 */
public final class MapResolver implements Resolver {
    private final Map<String, List<InetAddress>> answers;

    public MapResolver(Map<String, List<InetAddress>> answers) {
        this.answers = Map.copyOf(answers);
    }

    @Override
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        List<InetAddress> a = answers.get(name);
        if (a == null || a.isEmpty()) {
            throw new UnknownHostException(name);
        }
        return a;
    }
}
