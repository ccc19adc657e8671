package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * What every layer-3 test stands on: the network namespaces, a temp dir, the backends (one
 * {@link L3Probe} in the backends' namespace, driven by commands on its standard input), the
 * daemon in the balancer's namespace and any pinned clients in the client's namespace. A test opens it in {@code @BeforeAll} and closes it in
 * {@code @AfterAll}, which stops whatever was started.
 */
final class L3Fixture implements AutoCloseable {
    final L3Netns netns;
    final Path dir;
    /** The daemon closed, and whose log is kept, at the end; L3KeepIT puts each daemon it starts here. */
    L3Daemon daemon;
    private final String name;
    private Process backends;
    private PrintWriter backendCommands;
    private BufferedReader backendAcks;
    private final List<L3PinnedClient> clients = new ArrayList<>();

    private L3Fixture(String name, L3Netns netns, Path dir) {
        this.name = name;
        this.netns = netns;
        this.dir = dir;
    }

    /**
     * The test's namespaces and a temp dir, or the test skipped when the namespaces cannot be
     * built here. {@code name} names the dir ({@code NAME-it...}) and the daemon's log kept in
     * target/ ({@code NAME-daemon.log}).
     */
    static L3Fixture openOrSkip(String name) throws IOException {
        L3Netns netns = L3Netns.openOrSkip();
        try {
            return new L3Fixture(name, netns, Files.createTempDirectory(name + "-it"));
        } catch (IOException | RuntimeException e) {
            netns.close();
            throw e;
        }
    }

    /**
     * Starts the backends, {@code L3Probe MODE ADDR/PORT...} (serve, chat or udp), and waits
     * until they listen.
     */
    void startBackends(String... probeArgs) throws IOException {
        backends = L3Netns.probe(L3Netns.SRV, probeArgs);
        backendCommands = new PrintWriter(backends.getOutputStream(), true, StandardCharsets.US_ASCII);
        backendAcks = new BufferedReader(new InputStreamReader(backends.getInputStream(), StandardCharsets.US_ASCII));
        assertEquals("ok", backendAcks.readLine());
    }

    /** Sends the backends a command ({@code down ADDR}, {@code up ADDR}) and waits until it is done. */
    void backend(String command) throws IOException {
        backendCommands.println(command);
        assertEquals("ok", backendAcks.readLine());
    }

    /** Starts the daemon with its files in {@link #dir} and {@code config} after the global lines. */
    L3Daemon startDaemon(String config) throws IOException {
        daemon = new L3Daemon(dir);
        daemon.start(config);
        return daemon;
    }

    /** Starts a client pinned to {@code host} through {@code vip}; see {@link L3PinnedClient}. */
    L3PinnedClient pinnedClient(String mode, String vip, int port, String host) throws IOException {
        L3PinnedClient client = new L3PinnedClient(mode, vip, port, host);
        clients.add(client);
        return client;
    }

    @Override
    public void close() throws Exception {
        for (L3PinnedClient c : clients) {
            c.close();
        }
        if (daemon != null) {
            daemon.close();
            // Kept for a look after a failure; the next run replaces it.
            if (Files.exists(daemon.daemon.log)) {
                Files.copy(daemon.daemon.log, Path.of(System.getProperty("user.dir"), "target", name + "-daemon.log"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
        if (backends != null) {
            backends.destroyForcibly().waitFor();
        }
        netns.close();
        L3Netns.sh("rm -rf " + dir);
    }
}
