package org.hoststated.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Turns a DNS name of the configuration into addresses. Used by the parent process while it
 * loads the configuration; address literals never reach it. Implementations must be safe to
 * call from the loading thread only; they need not be thread-safe.
 */
public interface Resolver {
    /** Returns at least one address, or throws when the name does not resolve. */
    List<InetAddress> resolve(String name) throws UnknownHostException;
}
