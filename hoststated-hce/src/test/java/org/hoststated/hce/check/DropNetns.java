package org.hoststated.hce.check;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace reached over a veth pair, whose nftables input chain drops TCP SYNs to one
 * port and ICMP echo requests: a host that is there but never answers. The two ports after it
 * answer a SYN with an ICMP net unreachable and host unreachable, as a router on the way
 * would. Needs root, {@code ip}
 * and {@code nft}; {@link #create} returns null (with the reason in {@link #why}) when it cannot
 * be set up. Names carry the {@code hce} prefix; {@link #close} removes the namespace, which
 * takes the veth pair and the nft table with it.
 */
final class DropNetns implements AutoCloseable {
    static final String NS = "hce-drop";
    static final String HOST = "10.20.99.2";
    private static final String ROUTER = "10.20.99.1";
    static String why = "";

    final InetAddress host;
    final int droppedPort;

    private DropNetns(int droppedPort) throws IOException {
        this.host = InetAddress.getByName(HOST);
        this.droppedPort = droppedPort;
    }

    static DropNetns create(int droppedPort) {
        if (!"root".equals(System.getProperty("user.name"))) {
            why = "needs root";
            return null;
        }
        run(List.of("ip", "netns", "del", NS)); // a leftover of an aborted run
        String rules = "table inet hce_drop { chain input { type filter hook input priority 0; policy accept;"
                + " tcp dport " + droppedPort + " tcp flags & (syn | ack) == syn drop;"
                + " tcp dport " + (droppedPort + 1) + " reject with icmp type net-unreachable;"
                + " tcp dport " + (droppedPort + 2) + " reject with icmp type host-unreachable;"
                + " icmp type echo-request drop; }; }";
        List<List<String>> setup = List.of(
                List.of("ip", "netns", "add", NS),
                List.of("ip", "link", "add", "hce-drop0", "type", "veth", "peer", "name", "hce-drop1", "netns", NS),
                List.of("ip", "addr", "add", ROUTER + "/30", "dev", "hce-drop0"),
                List.of("ip", "link", "set", "hce-drop0", "up"),
                List.of("ip", "-n", NS, "addr", "add", HOST + "/30", "dev", "hce-drop1"),
                List.of("ip", "-n", NS, "link", "set", "hce-drop1", "up"),
                List.of("ip", "-n", NS, "link", "set", "lo", "up"),
                List.of("ip", "netns", "exec", NS, "nft", rules));
        for (List<String> cmd : setup) {
            String err = run(cmd);
            if (err != null) {
                why = String.join(" ", cmd) + ": " + err;
                run(List.of("ip", "netns", "del", NS));
                return null;
            }
        }
        try {
            return new DropNetns(droppedPort);
        } catch (IOException e) {
            why = e.getMessage();
            return null;
        }
    }

    /** Runs a command; null when it succeeded, else its output. */
    private static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return "hung";
            }
            return p.exitValue() == 0 ? null : out.trim();
        } catch (IOException e) {
            return e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    @Override
    public void close() {
        run(List.of("ip", "netns", "del", NS));
    }
}
