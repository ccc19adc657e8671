package org.hoststated.hce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import io.netty.util.ResourceLeakDetector;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.RLimit;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A busy checker must not lie (HCE-SCALE.md): thousands of healthy hosts, all 127.0.x.y answered
 * by one listener on 0.0.0.0, checked with a short timeout; none may be marked down, also when
 * the engine runs out of file descriptors.
 */
class ScaleTest {
    private static final int HOSTS = 2_500;
    private static final int TIMEOUT_MS = 200;
    private static final int RLIMIT_NOFILE = 7; // Linux
    private final TestLoop loop = new TestLoop();
    private final Map<Integer, HostStatus> last = new ConcurrentHashMap<>();

    private static ResourceLeakDetector.Level leakLevel;

    /**
     * The build runs tests with paranoid leak detection, which records a stack trace for every
     * buffer: too slow for the in-process server to answer thousands of checks in time.
     */
    @BeforeAll
    static void fastBuffers() {
        leakLevel = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterAll
    static void restoreLeakDetection() {
        ResourceLeakDetector.setLevel(leakLevel);
    }

    @AfterEach
    void tearDown() {
        loop.close();
    }

    @Test
    void tcpChecksOfThousandsOfHealthyHostsAreAllUp() throws Exception {
        try (OkServer server = new OkServer(false)) {
            int warmUp = 500;
            server.warmUp(warmUp);
            assertRoundsAllUp(scheduler(server.port(), CheckConfig.tcp(), HOSTS), HOSTS, 3,
                    round -> assertTrue(server.awaitAccepted(warmUp + (long) round * HOSTS, Duration.ofSeconds(30)),
                            "the server accepted every check of round " + round));
        }
    }

    /**
     * HTTP needs the server to answer each of a thousand checks in flight within the timeout:
     * nginx in its own process does; the in-process fallback shares the test JVM's CPU and
     * pauses, so it gets fewer checks in flight at once.
     */
    @Test
    void httpChecksOfThousandsOfHealthyHostsAreAllUp(@TempDir Path dir) throws Exception {
        CheckConfig http = CheckConfig.httpCode(false, "/", null, 200);
        try (NginxServer nginx = NginxServer.start(dir)) {
            if (nginx != null) {
                assertRoundsAllUp(scheduler(nginx.port(), http, HOSTS, CheckScheduler.Options.defaults(LogMode.NONE)),
                        HOSTS, 3);
                return;
            }
        }
        try (OkServer server = new OkServer(true)) {
            server.warmUp(500);
            assertRoundsAllUp(scheduler(server.port(), http, HOSTS, new CheckScheduler.Options(128, 32, LogMode.NONE)),
                    HOSTS, 3);
        }
    }

    /**
     * With the descriptor limit just above what the JVM has open, most checks cannot get a
     * socket at first: the engine holds them and retries as descriptors free up, and every host
     * still ends up up. The listener never accepts (its backlog holds the connections), so the
     * server needs no descriptors of its own.
     */
    @Test
    void runningOutOfDescriptorsIsNoVerdict() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc");
        int hosts = 1_000;
        try (ServerSocket listener = new ServerSocket()) {
            listener.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 4096);
            CheckScheduler s = scheduler(listener.getLocalPort(), CheckConfig.tcp(), hosts);
            // Classes load from jars, which takes descriptors: load all the paths first (the
            // engine does the same before its chroot).
            LoggerFactory.getLogger(ScaleTest.class).warn("descriptor limit lowered for this test");
            loop.run(() -> s.setHostEnabled(1, false));
            assertRoundsAllUp(s, hosts - 1, 1);
            loop.run(() -> s.setHostEnabled(1, true));
            last.clear();
            POSIX posix = POSIXFactory.getNativePOSIX();
            RLimit limit = posix.getrlimit(RLIMIT_NOFILE);
            long open;
            try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
                open = fds.count();
            }
            Assumptions.assumeTrue(posix.setrlimit(RLIMIT_NOFILE, open + 40, limit.rlimMax()) == 0,
                    "cannot lower RLIMIT_NOFILE");
            try {
                assertRoundsAllUp(s, hosts, 1);
            } finally {
                assertEquals(0, posix.setrlimit(RLIMIT_NOFILE, limit.rlimCur(), limit.rlimMax()), "limit restored");
            }
            assertTrue(loop.call(s::overloaded) > 0, "the limit was reached");
        }
    }

    private CheckScheduler scheduler(int port, CheckConfig check, int hosts) {
        return scheduler(port, check, hosts, CheckScheduler.Options.defaults(LogMode.NONE));
    }

    private CheckScheduler scheduler(int port, CheckConfig check, int hosts, CheckScheduler.Options options) {
        Config c = new TestConfigs(60, TIMEOUT_MS).table("many", port, check, TestConfigs.loopbacks(hosts), 0).build();
        return loop.call(() -> new CheckScheduler(loop.loop(), c, 1, st -> last.put(st.hostId(), st),
                () -> { }, new Checks(loop.loop(), null), options));
    }

    private void assertRoundsAllUp(CheckScheduler s, int hosts, int rounds) throws InterruptedException {
        assertRoundsAllUp(s, hosts, rounds, round -> { });
    }

    /** Something to wait for after a round, before the next one starts. */
    private interface AfterRound {
        void done(int round) throws InterruptedException;
    }

    private void assertRoundsAllUp(CheckScheduler s, int hosts, int rounds, AfterRound afterRound)
            throws InterruptedException {
        for (int round = 1; round <= rounds; round++) {
            loop.run(s::pollNow); // a round now, whether or not the scheduler has started
            assertTrue(loop.await(() -> s.pending() == 0, Duration.ofSeconds(30)), "round " + round + " finished");
            List<HostStatus> notUp = last.values().stream().filter(x -> x.state() != HostState.UP).toList();
            assertEquals(List.of(), notUp.subList(0, Math.min(3, notUp.size())),
                    notUp.size() + " hosts not up after round " + round);
            assertEquals(hosts, last.size());
            afterRound.done(round);
        }
    }
}
