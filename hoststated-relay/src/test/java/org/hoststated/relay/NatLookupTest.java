package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.RelayConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code nat lookup} against a real netfilter redirect: an nftables rule in the output hook
 * sends the client's connection to 127.22.1.9:port to the relay instead, and the relay forwards
 * it to where the client meant to go (read with SO_ORIGINAL_DST). A connection that was not
 * redirected goes to the relay's other target. Needs root and nft.
 */
class NatLookupTest {
    static final String TABLE = "rc_nat_test";
    static final String CLIENT = "127.22.1.2";
    static final String ORIGINAL = "127.22.1.9";

    @BeforeAll
    static void needsRootAndNft() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for nftables");
        assumeTrue(nftUsable(), "nft not installed or not usable here");
    }

    private static boolean nftUsable() {
        try {
            return run("nft", "list", "tables") == 0;
        } catch (IOException e) {
            return false; // not installed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @AfterEach
    void dropTable() throws Exception {
        run("nft", "delete", "table", "ip", TABLE);
    }

    static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    static void redirect(int fromPort, int toPort) throws Exception {
        assertEquals(0, run("nft", "add", "table", "ip", TABLE));
        assertEquals(0, run("nft", "add", "chain", "ip", TABLE, "out", "{ type nat hook output priority -100; }"));
        assertEquals(0, run("nft", "add", "rule", "ip", TABLE, "out", "ip", "saddr", CLIENT, "ip", "daddr", ORIGINAL,
                "tcp", "dport", Integer.toString(fromPort), "redirect", "to", ":" + toPort));
    }

    static RelayConfig natRelay(TestBackend fallback) {
        InetAddress lo = InetAddress.getLoopbackAddress();
        return new RelayConfig(1, "nat", new ListenConfig(lo, 0, false),
                new ForwardTarget(lo, "127.0.0.1", fallback.port(), 0), true, 0, ProtocolConfig.DEFAULT_NAME, 600, false);
    }

    static String firstLine(Socket c) throws IOException {
        c.setSoTimeout(20_000);
        InputStream in = c.getInputStream();
        return TcpRelayTest.readLine(in);
    }

    @Test
    void redirectedClientReachesItsOriginalDestinationOthersTheFallback() throws Exception {
        try (TestBackend original = TestBackend.identEcho("original", InetAddress.getByName(ORIGINAL));
                TestBackend fallback = TestBackend.identEcho("fallback");
                RelayFixture r = RelayFixture.start(natRelay(fallback), null)) {
            redirect(original.port(), r.port);
            try (Socket c = new Socket()) {
                c.bind(new InetSocketAddress(InetAddress.getByName(CLIENT), 0));
                c.connect(new InetSocketAddress(InetAddress.getByName(ORIGINAL), original.port()), 5000);
                assertEquals("original", firstLine(c));
            }
            assertEquals(1, r.counters.total(), "the redirected connection went through the relay");
            try (Socket c = r.connect()) {
                assertEquals("fallback", firstLine(c));
            }
        }
    }
}
