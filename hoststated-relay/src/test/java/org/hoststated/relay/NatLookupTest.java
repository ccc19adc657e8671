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
        run("nft", "delete", "table", "ip6", TABLE);
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

    /**
     * The same over IPv6 (IP6T_SO_ORIGINAL_DST): the relay asks for the connection's own family
     * first, since asked for IPv4 the kernel looks up a placeholder tuple (127.0.0.6).
     */
    @Test
    void aRedirectedIpv6ClientReachesItsOriginalDestination() throws Exception {
        InetAddress lo6 = InetAddress.getByName("::1");
        try (TestBackend original = TestBackend.identEcho("original", lo6);
                TestBackend fallback = TestBackend.identEcho("fallback");
                RelayFixture r = RelayFixture.start(new RelayConfig(1, "nat6", new ListenConfig(lo6, 0, false),
                        new ForwardTarget(InetAddress.getLoopbackAddress(), "127.0.0.1", fallback.port(), 0), true, 0,
                        ProtocolConfig.DEFAULT_NAME, 600, false), null)) {
            try (Socket c = new Socket()) {
                // Only the client's own connection is redirected (IPv6 loopback has one address:
                // the relay's connection to the original destination must not meet the rule).
                c.bind(new InetSocketAddress(lo6, 0));
                assertEquals(0, run("nft", "add", "table", "ip6", TABLE));
                assertEquals(0, run("nft", "add", "chain", "ip6", TABLE, "out", "{ type nat hook output priority -100; }"));
                assertEquals(0, run("nft", "add", "rule", "ip6", TABLE, "out", "ip6", "daddr", "::1", "tcp", "sport",
                        Integer.toString(c.getLocalPort()), "tcp", "dport", Integer.toString(original.port()),
                        "redirect", "to", ":" + r.port));
                c.connect(new InetSocketAddress(lo6, original.port()), 5000);
                assertEquals("original", firstLine(c));
            }
            assertEquals(1, r.counters.total(), "the redirected connection went through the relay");
            try (Socket c = new Socket()) {
                c.connect(new InetSocketAddress(lo6, r.port), 5000);
                assertEquals("fallback", firstLine(c));
            }
        }
    }
}
