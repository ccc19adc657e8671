package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.CommandRunner;
import org.hoststated.pfe.backend.NftBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stop leaves the TCP connections the rules redirected going, against the real kernel (root
 * and nft needed; skipped otherwise), as pf's states outlive its rules. Removing the table at
 * stop froze them: with no rule left that needs connection tracking, the kernel stopped
 * translating their packets (probe D: every layer-3 connection in flight hung until its client
 * gave up). The backend's stop now leaves the table without redirections, and the next start's
 * table takes over. The namespace has no other NAT or tracking rule, so the last step (the table
 * removed by hand) shows what the stop used to do.
 */
class StopKeepsFlowsNetnsTest {
    @RegisterExtension
    static final L3Namespace L3 = new L3Namespace("keep", "kp");
    private static final String TABLE = "hskeep";
    private static final String VIP = "10.21.9.130";
    private static final String CONFIG = """
            l3 backend none
            table web {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.11
            }
            service web {
            \tvirtual host %s port 80
            \ttable web
            }
            """.formatted(VIP);

    @Test
    void aStopLeavesTheRedirectedConnectionsGoing() throws Exception {
        PfeState s = PfeState.build(1, PfeFixtures.config(CONFIG), null);
        report(s, host(s, "web", "10.21.2.11"), HostState.UP);
        try (ServerSocket server = L3.netns().run(() -> new ServerSocket(8080, 8,
                InetAddress.getByName("10.21.2.11")))) {
            Thread echo = new Thread(() -> echo(server), "echo");
            echo.setDaemon(true);
            echo.start();
            NftBackend first = L3.netns().startNftBackend(TABLE, false);
            first.apply(s.redirects(), List.of(), System.nanoTime());
            assertTrue(first.awaitApplied(10_000));
            try (Socket client = L3.netns().run(StopKeepsFlowsNetnsTest::connect)) {
                assertEquals("one", exchange(client, "one"));

                first.closeAtStop();
                String left = nft("list table inet " + TABLE);
                assertFalse(left.contains(" dnat "), "the redirections are removed:\n" + left);
                assertEquals("two", exchange(client, "two"), "the connection goes on after the stop");

                NftBackend second = L3.netns().startNftBackend(TABLE, false);
                second.apply(s.redirects(), List.of(), System.nanoTime());
                assertTrue(second.awaitApplied(10_000));
                second.closeAtStop();
                assertEquals("three", exchange(client, "three"), "and through the next run");

                nft("delete table inet " + TABLE);
                assertThrows(SocketTimeoutException.class, () -> exchange(client, "four"),
                        "with no rule left the kernel still translated the connection: this test shows nothing");
            }
        } finally {
            Netns.sh("ip netns exec " + L3.name + " nft delete table inet " + TABLE);
        }
    }

    private static Socket connect() throws IOException {
        Socket c = new Socket();
        c.bind(new InetSocketAddress(InetAddress.getByName("10.21.1.2"), 0));
        c.connect(new InetSocketAddress(InetAddress.getByName(VIP), 80), 5000);
        c.setSoTimeout(1500);
        return c;
    }

    /** Sends {@code word} and reads its echo. */
    private static String exchange(Socket c, String word) throws IOException {
        c.getOutputStream().write(word.getBytes(StandardCharsets.US_ASCII));
        byte[] b = new byte[word.length()];
        InputStream in = c.getInputStream();
        for (int n = 0; n < b.length; ) {
            int r = in.read(b, n, b.length - n);
            if (r < 0) {
                throw new IOException("closed");
            }
            n += r;
        }
        return new String(b, StandardCharsets.US_ASCII);
    }

    private static String nft(String command) throws Exception {
        CommandRunner.Result r = Netns.sh("ip netns exec " + L3.name + " nft " + command);
        assertTrue(r.ok(), r.why());
        return r.stdout();
    }

    private static void echo(ServerSocket server) {
        try (Socket s = server.accept()) {
            s.getInputStream().transferTo(s.getOutputStream());
        } catch (IOException e) {
            // the test is over
        }
    }
}
