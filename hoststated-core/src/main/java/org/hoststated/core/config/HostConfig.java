package org.hoststated.core.config;

import java.net.InetAddress;

/**
 * A host of a table. Used by hce (checks), pfe (state, L3 tables) and relay (targets).
 * Immutable.
 *
 * @param name the host as the user wrote it (after macro expansion)
 * @param retry failed checks tolerated before the host goes down
 */
public record HostConfig(int id, int tableId, String name, InetAddress address, int retry) {
}
