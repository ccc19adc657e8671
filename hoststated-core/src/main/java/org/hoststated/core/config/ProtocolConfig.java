package org.hoststated.core.config;

import java.util.List;

/**
 * A relay protocol: handler type, socket and TLS options, and node actions; used by relay.
 * Immutable.
 *
 * @param errorStyle CSS for error pages, or null
 */
public record ProtocolConfig(int id, String name, ProtocolType type, TcpOptions tcp, SslOptions ssl,
        List<ProtocolNode> nodes, boolean returnError, String errorStyle) {
    public static final String DEFAULT_NAME = "default";

    public ProtocolConfig {
        nodes = List.copyOf(nodes);
    }

    /** The built-in protocol used by relays that name none. */
    public static ProtocolConfig builtinDefault(int id) {
        return new ProtocolConfig(id, DEFAULT_NAME, ProtocolType.TCP, TcpOptions.defaults(),
                SslOptions.defaults(), List.of(), false, null);
    }

    /** What the relays of this protocol listen and connect on: UDP for {@code dns}, else TCP. */
    public IpProtocol transport() {
        return type == ProtocolType.DNS ? IpProtocol.UDP : IpProtocol.TCP;
    }

    public boolean isBuiltinDefault() {
        return DEFAULT_NAME.equals(name);
    }
}
