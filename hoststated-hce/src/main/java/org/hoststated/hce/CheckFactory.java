package org.hoststated.hce;

import org.hoststated.core.config.TableConfig;
import org.hoststated.hce.check.Check;

/**
 * Makes the {@link Check} of a table, or null for a table without one. Called by
 * {@link CheckScheduler} in hce, on the event loop.
 */
@FunctionalInterface
public interface CheckFactory {
    Check forTable(TableConfig table);
}
