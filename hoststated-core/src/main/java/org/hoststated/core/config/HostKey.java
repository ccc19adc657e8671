package org.hoststated.core.config;

/**
 * What makes a host "the same host" in two configuration generations: its table's name and
 * its address. A reload keeps the state of such hosts in every engine (hce's check results,
 * pfe's verdicts and counters, the relay's up set), so all three must agree on this one key:
 * a name that now resolves to another address is another machine, with no verdict yet.
 */
public record HostKey(String table, String address) {
    public static HostKey of(TableConfig table, HostConfig host) {
        return new HostKey(table.name(), host.address().getHostAddress());
    }
}
