package org.hoststated.core.config;

/** How a relay picks a host from its table. Part of the immutable configuration model shared by all processes. */
public enum Mode {
    ROUNDROBIN, LOADBALANCE, HASH
}
