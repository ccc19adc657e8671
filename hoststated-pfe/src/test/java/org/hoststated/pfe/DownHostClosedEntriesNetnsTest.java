package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.L3Backend;
import org.hoststated.pfe.backend.NftBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A host that goes down, for a service without {@code kill states}, against the real kernel
 * (root, nft and nf_conntrack_netlink needed; skipped otherwise): a client that connects again
 * from the port of a connection the host reset goes to a host that is up. The kernel kept the
 * reset connection's entry (CLOSE, 10 s) and sent a new connection from that port where the old
 * one went, past the new rule (probe D: a killed server's clients were refused for seconds
 * after the rule had dropped it, and served by it once it was back, outside the rule). Service
 * www of {@link PfeFixtures#WWW_ALONE} in a namespace of {@link Netns#forL3}: TCP listeners on
 * its hosts 10.21.2.11 and .12 port 8080, the client on 10.21.1.2 sending to its virtual
 * address 10.21.9.100.
 */
class DownHostClosedEntriesNetnsTest {
    @RegisterExtension
    static final L3Namespace L3 = new L3Namespace("closed", "ck");
    private static final String NS = L3.name;

    @Test
    void aClientReconnectingFromThePortOfAResetConnectionGoesToAHostThatIsUp() throws Exception {
        PfeState s = PfeState.build(1, PfeFixtures.config(PfeFixtures.WWW_ALONE), null);
        HostEntry up = host(s, "web", "10.21.2.11");
        HostEntry failing = host(s, "web", "10.21.2.12");
        report(s, failing, HostState.UP);
        report(s, up, HostState.DOWN);
        BlockingQueue<Socket> accepted = new LinkedBlockingQueue<>();
        List<ServerSocket> listeners = L3.netns().run(() -> List.of(listen("10.21.2.11", accepted),
                listen("10.21.2.12", accepted)));
        NftBackend backend = L3.netns().startNftBackend("hskclosed", false);
        try {
            backend.apply(s.redirects(), List.of(), System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            int port = 41000 + (int) (ProcessHandle.current().pid() % 1000);
            assertEquals("10.21.2.12", connectAndReset(port, accepted), "only the failing host is in the rule");

            // Its check fails: the rule names the other host now.
            report(s, up, HostState.UP);
            report(s, failing, HostState.DOWN);
            backend.apply(s.redirects(), List.of(), System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            assertEquals("10.21.2.12", connectAndReset(port, accepted), "the reset's entry sends the client past the rule");

            List<L3Backend.StateKill> kills = StateKills.down(s, failing);
            assertEquals(List.of(true), kills.stream().map(L3Backend.StateKill::closedOnly).toList());
            backend.apply(s.redirects(), kills, System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            assertEquals("10.21.2.11", connectAndReset(port, accepted), "the host that is up gets the client");
        } finally {
            L3.netns().run(() -> {
                backend.close();
                for (ServerSocket l : listeners) {
                    l.close();
                }
                return null;
            });
        }
    }

    /** A listener on {@code address} port 8080 that hands what it accepts to {@code accepted}. */
    private static ServerSocket listen(String address, BlockingQueue<Socket> accepted) throws IOException {
        ServerSocket l = new ServerSocket(8080, 50, InetAddress.getByName(address));
        Thread t = new Thread(() -> {
            while (!l.isClosed()) {
                try {
                    accepted.add(l.accept());
                } catch (IOException e) {
                    return;
                }
            }
        }, "accept-" + address);
        t.setDaemon(true);
        t.start();
        return l;
    }

    /**
     * Connects from 10.21.1.2:{@code port} to the virtual host, has the host that accepted
     * reset the connection (a killed server's connections end so), then closes the client;
     * which host it was.
     */
    private static String connectAndReset(int port, BlockingQueue<Socket> accepted) throws Exception {
        return L3.netns().run(() -> {
            try (Socket c = new Socket()) {
                c.setReuseAddress(true);
                c.bind(new InetSocketAddress(InetAddress.getByName("10.21.1.2"), port));
                c.connect(new InetSocketAddress(InetAddress.getByName("10.21.9.100"), 80), 3000);
                Socket server = accepted.poll(3, TimeUnit.SECONDS);
                String host = server.getLocalAddress().getHostAddress();
                server.setSoLinger(true, 0);
                server.close();
                assertEquals(-1, readOrReset(c));
                return host;
            }
        });
    }

    private static int readOrReset(Socket c) {
        try {
            return c.getInputStream().read();
        } catch (IOException reset) {
            return -1;
        }
    }
}
