package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RetiredServersTest {
    /**
     * Review CN: a server without sessions at its stop may get one a moment later (a client its
     * listener accepted, registered by another loop's task): it is kept for two refreshes.
     */
    @Test
    void aServerIsKeptUntilItHadNoSessionAtTwoRefreshesInARow() {
        Set<String> withSessions = new HashSet<>();
        RetiredServers<String> retired = new RetiredServers<>(withSessions::contains);
        retired.add("old");
        assertEquals(List.of("old"), List.copyOf(retired.all()), "kept though it has no session yet");
        withSessions.add("old"); // the late client registered
        retired.refresh();
        retired.refresh();
        assertEquals(List.of("old"), List.copyOf(retired.all()));
        withSessions.remove("old");
        retired.refresh();
        assertEquals(List.of("old"), List.copyOf(retired.all()), "one quiet refresh");
        retired.refresh();
        assertEquals(List.of(), List.copyOf(retired.all()), "two in a row");
    }

    @Test
    void aSessionBetweenQuietRefreshesStartsTheCountAgain() {
        Set<String> withSessions = new HashSet<>();
        RetiredServers<String> retired = new RetiredServers<>(withSessions::contains);
        retired.add("a");
        retired.add("b");
        retired.refresh();
        withSessions.add("a");
        retired.refresh();
        withSessions.clear();
        retired.refresh();
        assertEquals(List.of("a"), List.copyOf(retired.all()));
    }
}
