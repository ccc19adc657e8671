package org.hoststated.core.config;

/** The handler type of a relay protocol. Part of the immutable configuration model shared by all processes. */
public enum ProtocolType {
    TCP, HTTP, DNS
}
