package org.hoststated.core.config;

import java.util.List;
import java.util.Optional;

/**
 * A whole configuration, lists in configuration order (derived tables after the tables the
 * user wrote; the built-in "default" protocol last). Built by the parent, rebuilt from the
 * same text by each engine. Immutable.
 */
public record Config(Globals globals, List<TableConfig> tables, List<ServiceConfig> services,
        List<RelayConfig> relays, List<ProtocolConfig> protocols) {
    public Config {
        tables = List.copyOf(tables);
        services = List.copyOf(services);
        relays = List.copyOf(relays);
        protocols = List.copyOf(protocols);
    }

    public Optional<TableConfig> table(String name) {
        return tables.stream().filter(t -> t.name().equals(name)).findFirst();
    }

    public Optional<TableConfig> table(int id) {
        return tables.stream().filter(t -> t.id() == id).findFirst();
    }

    public Optional<HostConfig> host(int id) {
        return tables.stream().flatMap(t -> t.hosts().stream()).filter(h -> h.id() == id)
                .findFirst();
    }

    public Optional<ServiceConfig> service(String name) {
        return services.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<ServiceConfig> service(int id) {
        return services.stream().filter(s -> s.id() == id).findFirst();
    }

    public Optional<RelayConfig> relay(String name) {
        return relays.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    public Optional<RelayConfig> relay(int id) {
        return relays.stream().filter(r -> r.id() == id).findFirst();
    }

    public Optional<ProtocolConfig> protocol(String name) {
        return protocols.stream().filter(p -> p.name().equals(name)).findFirst();
    }

    /** The transport of relay {@code r}: its protocol's ({@link ProtocolConfig#transport}). */
    public IpProtocol transport(RelayConfig r) {
        return Validator.transport(r.protocol(), protocols);
    }

    /** Tables the engines work with: every table except templates. */
    public List<TableConfig> activeTables() {
        return tables.stream().filter(t -> !t.template()).toList();
    }
}
