package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code nat lookup} on an HTTP relay, relayd's transparent proxy with header rules: a client
 * that the packet filter sent to the relay has its requests forwarded to where it meant to go.
 * The relay answered such a client "503 no host available" (it picked a host from its table
 * alone), and a client that was not redirected to a relay without other target was told the
 * same, which sends an operator looking for a table the relay does not have.
 */
class HttpNatLookupTest {
    static final String TABLE = "rc_http_nat_test";
    static final String CLIENT = "127.23.2.2";
    static final String ORIGINAL = "127.23.2.9";
    static final String FALLBACK = "127.23.2.11";
    static final String GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

    @AfterEach
    void dropTable() throws Exception {
        if (nftUsable()) {
            run("nft", "delete", "table", "ip", TABLE);
        }
    }

    private static boolean nftUsable() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        try {
            return run("nft", "list", "tables") == 0;
        } catch (IOException e) {
            return false; // not installed
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static int run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    /** Connections from CLIENT to ORIGINAL:port go to the relay instead (its address is not 127.0.0.1). */
    private static void redirect(int port, InetSocketAddress relay) throws Exception {
        assertEquals(0, run("nft", "add", "table", "ip", TABLE));
        assertEquals(0, run("nft", "add", "chain", "ip", TABLE, "out", "{ type nat hook output priority -100; }"));
        assertEquals(0, run("nft", "add", "rule", "ip", TABLE, "out", "ip", "saddr", CLIENT, "ip", "daddr", ORIGINAL,
                "tcp", "dport", Integer.toString(port), "dnat", "to",
                relay.getAddress().getHostAddress() + ":" + relay.getPort()));
    }

    @Test
    void aRedirectedClientsRequestsGoWhereItMeantOthersToTheRelaysTarget() throws Exception {
        assumeTrue(nftUsable(), "needs root and a usable nft");
        try (RawBackend original = new RawBackend(ORIGINAL, new EchoScript());
                RawBackend fallback = new RawBackend(FALLBACK, new EchoScript());
                HttpRelayFixture r = HttpRelayFixture.builder().backend(fallback.address()).natLookup().start()) {
            redirect(original.address().getPort(), r.address);
            Socket s = new Socket();
            s.bind(new InetSocketAddress(InetAddress.getByName(CLIENT), 0));
            s.connect(original.address(), 5000);
            try (RawClient c = new RawClient(s)) {
                for (int i = 0; i < 2; i++) {
                    c.send(GET);
                    RawClient.Response res = c.read();
                    assertEquals(200, res.status(), res.head());
                    assertEquals(Integer.toString(original.address().getPort()), res.header("X-Backend"),
                            "request " + (i + 1) + " reached its original destination");
                }
            }
            assertEquals(1, r.counters.total(), "the redirected client went through the relay");
            assertEquals(2, original.seen.size());
            r.forwarded(GET);
            assertEquals(1, fallback.seen.size(), "a client that was not redirected goes to the target");
        }
    }

    @Test
    void aClientThatWasNotRedirectedToANatLookupOnlyRelayIsToldSo() throws Exception {
        try (HttpRelayFixture r = HttpRelayFixture.builder().natLookup().returnError(null).start();
                RawClient c = r.client()) {
            c.send(GET);
            RawClient.Response res = c.read();
            assertEquals(503, res.status(), res.head());
            assertTrue(res.text().contains("not redirected by the packet filter (nat lookup)"), res.text());
        }
    }
}
