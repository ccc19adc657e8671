package org.hoststated.core.config;

/**
 * A relay target that is the first virtual host of a service; used by relay. Immutable.
 *
 * @param retry times an immediately failing connect is retried
 */
public record ServiceTarget(String service, int retry) implements RelayTarget {
}
