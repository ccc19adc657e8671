package org.hoststated.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.slf4j.event.Level;

class SeverityTest {
    /** What one process writes as a prefix another reads back as the same level. */
    @Test
    void aPrefixReadsBackAsItsLevel() {
        for (Level level : new Level[] {Level.ERROR, Level.WARN, Level.INFO, Level.DEBUG}) {
            assertEquals(level, Severity.ofPrefix(Severity.prefix(level) + "relay: x"));
            assertEquals(Severity.prefix(level), "<" + Severity.of(level) + ">");
        }
        assertEquals(Level.DEBUG, Severity.ofPrefix(Severity.prefix(Level.TRACE)));
    }

    @Test
    void aLineWithoutAPrefixHasNoLevel() {
        assertNull(Severity.ofPrefix("relay: <4> in the text"));
        assertNull(Severity.ofPrefix("<9>relay"));
        assertNull(Severity.ofPrefix("<4"));
        assertEquals(Level.ERROR, Severity.ofPrefix("<0>"));
    }
}
