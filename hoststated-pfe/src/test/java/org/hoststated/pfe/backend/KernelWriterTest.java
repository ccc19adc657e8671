package org.hoststated.pfe.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The writer thread outlives a write that fails in any way. */
class KernelWriterTest {
    /**
     * A rule text too large for pfe's heap threw an OutOfMemoryError on the writer thread, which
     * ended it: pfe never wrote the rules again (probe J of session 57). Now that write fails as
     * any other, is retried, and the next state is written.
     */
    @Test
    void aWriteOutOfMemoryIsAFailureAndTheWriterGoesOn() throws Exception {
        List<String> applied = new CopyOnWriteArrayList<>();
        try (KernelWriter<String> w = new KernelWriter<>("test", desired -> {
            if (desired.equals("huge")) {
                throw new OutOfMemoryError("Java heap space");
            }
            applied.add(desired);
        }, () -> true, (kills, written) -> { })) {
            w.submit("huge", List.of(), System.nanoTime());
            assertTrue(w.awaitIdle(10_000));
            assertEquals("out of memory for the rules (Java heap space)", w.failure());
            w.submit("small", List.of(), System.nanoTime());
            // Until the write is over, not only applied: the failure is cleared after the apply.
            assertTrue(w.awaitIdle(10_000));
            assertEquals(List.of("small"), applied);
            assertNull(w.failure());
        }
    }
}
