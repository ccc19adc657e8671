package org.hoststated.parent.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Three network namespaces for the layer-3 tests (named after {@link #PREFIX}): a client
 * ({@code l3-cli}, 10.21.1.2-4), the balancer ({@code l3-lb}, 10.21.1.1 and 10.21.2.1, forwarding) and the backends ({@code l3-srv},
 * 10.21.2.11, .12 and .21; fd21::1:2, fd21::1:1 and fd21::2:1, fd21::2:11), joined by two veth pairs. Virtual addresses (10.21.9.0/24) are not
 * configured anywhere (nor fd21::9:0/112): the client routes everything through the balancer, whose DNAT rules
 * send it on; the backends route their replies back through it, as pf's rdr needs too.
 */
final class L3Netns implements AutoCloseable {
    /**
     * The namespaces' names start with this ({@code -Dhoststated.it.netns=lk} gives lk-cli,
     * lk-lb and lk-srv), so that two people can run the tests on one machine at once.
     */
    static final String PREFIX = System.getProperty("hoststated.it.netns", "l3");
    static final String CLI = PREFIX + "-cli";
    static final String LB = PREFIX + "-lb";
    static final String SRV = PREFIX + "-srv";

    /** True when this process may create namespaces (root and the ip tool). */
    static boolean available() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return false;
        }
        try {
            return sh("ip netns list").status == 0 && sh("nft --version").status == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** The test's namespaces, or the test skipped with the reason they cannot be built here. */
    static L3Netns openOrSkip() {
        org.junit.jupiter.api.Assumptions.assumeTrue(available(), "needs root, ip netns and nft");
        try {
            return new L3Netns();
        } catch (IOException e) {
            org.junit.jupiter.api.Assumptions.assumeTrue(false, "cannot build the test's network namespaces: " + e.getMessage());
            return null;
        }
    }

    L3Netns() throws IOException {
        close();
        String[] setup = {
            "ip netns add " + CLI, "ip netns add " + LB, "ip netns add " + SRV,
            "ip link add l3-c0 netns " + CLI + " type veth peer name l3-c1 netns " + LB,
            "ip link add l3-s0 netns " + LB + " type veth peer name l3-s1 netns " + SRV,
            in(CLI, "ip addr add 10.21.1.2/24 dev l3-c0"), in(CLI, "ip addr add 10.21.1.3/24 dev l3-c0"),
            in(CLI, "ip addr add 10.21.1.4/24 dev l3-c0"),
            in(LB, "ip addr add 10.21.1.1/24 dev l3-c1"), in(LB, "ip addr add 10.21.2.1/24 dev l3-s0"),
            in(SRV, "ip addr add 10.21.2.11/24 dev l3-s1"), in(SRV, "ip addr add 10.21.2.12/24 dev l3-s1"),
            in(SRV, "ip addr add 10.21.2.21/24 dev l3-s1"),
            in(CLI, "ip link set lo up"), in(LB, "ip link set lo up"), in(SRV, "ip link set lo up"),
            in(CLI, "ip link set l3-c0 up"), in(LB, "ip link set l3-c1 up"), in(LB, "ip link set l3-s0 up"),
            in(SRV, "ip link set l3-s1 up"),
            in(CLI, "ip route add default via 10.21.1.1"), in(SRV, "ip route add default via 10.21.2.1"),
            in(LB, "sysctl -qw net.ipv4.ip_forward=1"),
            // IPv6: fd21::/64 cut in two, fd21::1:0/112 for the client side, fd21::2:0/112 for the backends.
            in(CLI, "ip addr add fd21::1:2/112 dev l3-c0 nodad"), in(LB, "ip addr add fd21::1:1/112 dev l3-c1 nodad"),
            in(LB, "ip addr add fd21::2:1/112 dev l3-s0 nodad"), in(SRV, "ip addr add fd21::2:11/112 dev l3-s1 nodad"),
            in(CLI, "ip -6 route add default via fd21::1:1"), in(SRV, "ip -6 route add default via fd21::2:1"),
            in(LB, "sysctl -qw net.ipv6.conf.all.forwarding=1"),
        };
        for (String c : setup) {
            Out o = sh(c);
            if (o.status != 0) {
                close();
                throw new IOException(c + ": " + o.text);
            }
        }
    }

    static String in(String ns, String command) {
        return "ip netns exec " + ns + " " + command;
    }

    /** {@code nft list ruleset} in the balancer's namespace. */
    String rules() throws IOException {
        return sh(in(LB, "nft list ruleset")).text;
    }

    /** Starts a JVM running {@link L3Probe} in {@code ns}. */
    static Process probe(String ns, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns, Daemon.java(), "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC", "-cp", System.getProperty("user.dir") + "/target/test-classes",
                L3Probe.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The answers of {@code count} connections to {@code vip} port 80, from each source. */
    static List<String> fetch(String vip, int count, String... sources) throws IOException, InterruptedException {
        return fetchIn(CLI, vip, 80, count, sources);
    }

    /** The answers of {@code count} connections from namespace {@code ns} to {@code address} and {@code port}. */
    static List<String> fetchIn(String ns, String address, int port, int count, String... sources)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("fetch", address, Integer.toString(port), Integer.toString(count)));
        args.addAll(List.of(sources));
        Process p = probe(ns, args.toArray(String[]::new));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        p.waitFor(30, TimeUnit.SECONDS);
        return out.lines().toList();
    }

    record Out(int status, String text) {
    }

    static Out sh(String command) throws IOException {
        Process p = new ProcessBuilder("sh", "-c", command).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Out(-1, "timed out: " + command);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        return new Out(p.exitValue(), text);
    }

    @Override
    public void close() throws IOException {
        for (String ns : List.of(CLI, LB, SRV)) {
            sh("ip netns del " + ns + " 2>/dev/null");
        }
    }
}
