package org.hoststated.core.config;

/** Where a relay forwards sessions; used by the relay engine. Immutable implementations. */
public sealed interface RelayTarget permits ForwardTarget, ServiceTarget, TableTarget {
}
