package org.hoststated.core.config;

import java.net.InetAddress;

/** The listener of a relay; used by the parent (binds it) and relay. Immutable. */
public record ListenConfig(InetAddress address, int port, boolean ssl) {
}
