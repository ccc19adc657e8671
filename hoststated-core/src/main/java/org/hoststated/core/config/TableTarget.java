package org.hoststated.core.config;

/**
 * A relay target chosen from a table's hosts; used by relay. Immutable.
 *
 * @param table the table name (the derived name when a template is referenced)
 * @param port the table's port
 * @param noCheck pick hosts regardless of their health
 */
public record TableTarget(String table, int port, Mode mode, boolean noCheck) implements RelayTarget {
}
