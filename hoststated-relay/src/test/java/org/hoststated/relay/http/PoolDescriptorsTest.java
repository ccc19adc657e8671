package org.hoststated.relay.http;

import static org.hoststated.relay.http.BackendReuseTest.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.relay.http.BackendReuseTest.CountingEcho;
import org.junit.jupiter.api.Test;

/**
 * The idle backend connections of the pool count against the descriptors the session bound
 * shares with them ({@link org.hoststated.relay.IdleDescriptors}), against a real backend that
 * counts its connections: a new session makes the pool give back the connections whose
 * descriptors it needs, and a connection is parked only while the sessions leave room.
 */
class PoolDescriptorsTest {
    /**
     * Four sessions ended with their connections parked; four new clients need eight
     * descriptors of ten: the pool gives back two, the longest idle, and the clients' requests
     * take the other two and connect two more.
     */
    @Test
    void newSessionsMakeThePoolGiveBackWhatTheyNeed() throws Exception {
        CountingEcho s = new CountingEcho();
        try (RawBackend b = new RawBackend(BackendReuseTest.BACKEND, s);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).sessionLimit(4, 10).start()) {
            List<RawClient> clients = openClients(r, 4, true);
            closeAll(clients);
            await("four connections are parked", () -> r.idleBackends() == 4 && r.heldDescriptors() == 4);
            clients = openClients(r, 4, false);
            try {
                await("four sessions are admitted", () -> r.active() == 4);
                await("two are given back", () -> s.ended.get() == 2 && r.idleBackends() == 2 && r.active() == 4);
                for (RawClient c : clients) {
                    c.send(HttpRelayTest.GET);
                    assertEquals(200, c.read().status());
                }
                assertEquals(6, b.connections.get());
                assertEquals(0, r.idleBackends());
                assertEquals(0, r.heldDescriptors());
            } finally {
                closeAll(clients);
            }
            // Four sessions ending leave room for their four connections again.
            await("the connections are parked again", () -> r.idleBackends() == 4 && r.active() == 0);
        }
    }

    /**
     * At the session bound the sessions' descriptors are the whole budget: a connection parked
     * when one session ends is given back to the next session, which then connects anew, and
     * no more are parked than the sessions leave room for.
     */
    @Test
    void atTheBoundThePoolKeepsNothingTheSessionsNeed() throws Exception {
        CountingEcho s = new CountingEcho();
        try (RawBackend b = new RawBackend(BackendReuseTest.BACKEND, s);
                HttpRelayFixture r = HttpRelayFixture.builder().backend(b.address()).sessionLimit(2).start()) {
            List<RawClient> clients = openClients(r, 2, true);
            try {
                clients.remove(0).close();
                await("the ended session's connection is parked", () -> r.idleBackends() == 1 && r.active() == 1);
                clients.addAll(openClients(r, 1, false));
                await("the new session is admitted", () -> r.active() == 2);
                await("it is given back to the new session", () -> s.ended.get() == 1 && r.idleBackends() == 0);
                clients.get(1).send(HttpRelayTest.GET);
                assertEquals(200, clients.get(1).read().status());
                assertEquals(3, b.connections.get());
            } finally {
                closeAll(clients);
            }
            await("both are parked", () -> r.idleBackends() == 2 && r.active() == 0);
        }
    }

    /** {@code n} clients of {@code r}, each with a GET answered when {@code request}, else connected only. */
    private static List<RawClient> openClients(HttpRelayFixture r, int n, boolean request) throws Exception {
        List<RawClient> clients = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            RawClient c = r.client();
            clients.add(c);
            if (request) {
                c.send(HttpRelayTest.GET);
                assertEquals(200, c.read().status());
            }
        }
        return clients;
    }

    private static void closeAll(List<RawClient> clients) throws Exception {
        for (RawClient c : clients) {
            c.close();
        }
        clients.clear();
    }
}
