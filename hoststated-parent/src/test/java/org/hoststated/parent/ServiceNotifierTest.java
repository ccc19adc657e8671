package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceNotifierTest {
    @Test
    void theWatchdogPeriodIsOnlyForTheProcessItNames() {
        assertEquals(30_000_000, ServiceNotifier.watchdogUsec(Map.of("WATCHDOG_USEC", "30000000"), 42));
        assertEquals(30_000_000, ServiceNotifier.watchdogUsec(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "42"), 42));
        assertEquals(0, ServiceNotifier.watchdogUsec(Map.of("WATCHDOG_USEC", "30000000", "WATCHDOG_PID", "41"), 42));
        assertEquals(0, ServiceNotifier.watchdogUsec(Map.of(), 42));
        assertEquals(0, ServiceNotifier.watchdogUsec(Map.of("WATCHDOG_USEC", "soon"), 42));
        assertEquals(0, ServiceNotifier.watchdogUsec(Map.of("WATCHDOG_USEC", "-5"), 42));
    }
}
