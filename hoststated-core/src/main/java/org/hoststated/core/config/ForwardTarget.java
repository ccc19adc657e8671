package org.hoststated.core.config;

import java.net.InetAddress;

/**
 * A fixed relay target ({@code forward to}); used by relay. Immutable.
 *
 * @param name the address as the user wrote it
 * @param retry times an immediately failing connect is retried
 */
public record ForwardTarget(InetAddress address, String name, int port, int retry)
        implements RelayTarget {
}
