package org.hoststated.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/** The system resolver ({@link InetAddress#getAllByName}); used by the parent. Stateless. */
public final class SystemResolver implements Resolver {
    @Override
    public List<InetAddress> resolve(String name) throws UnknownHostException {
        return List.of(InetAddress.getAllByName(name));
    }
}
