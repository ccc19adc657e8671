package org.hoststated.hce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A busy checker must not lie (HCE-SCALE.md): 2,500 healthy hosts, all 127.0.x.y answered by one
 * listener on 0.0.0.0, checked with a 200 ms timeout, and none may be marked down.
 */
class ScaleTest {
    private static final int HOSTS = 2_500;
    private final TestLoop loop = new TestLoop();
    private ServerSocket listener;

    @AfterEach
    void tearDown() throws IOException {
        if (listener != null) {
            listener.close();
        }
        loop.close();
    }

    @Test
    void noHealthyHostIsMarkedDown() throws Exception {
        listener = new ServerSocket();
        listener.bind(new InetSocketAddress(InetAddress.getByName("0.0.0.0"), 0), 8192);
        Thread acceptor = new Thread(() -> {
            while (!listener.isClosed()) {
                try (Socket s = listener.accept()) {
                    // accepted and closed: the check has its verdict at connect
                } catch (IOException e) {
                    return;
                }
            }
        }, "scale-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();

        Config c = new TestConfigs(60, 200)
                .table("many", listener.getLocalPort(), CheckConfig.tcp(), TestConfigs.loopbacks(HOSTS), 0).build();
        Map<Integer, HostStatus> last = new ConcurrentHashMap<>();
        CheckScheduler s = loop.call(() -> new CheckScheduler(loop.loop(), c, 1, st -> last.put(st.hostId(), st),
                () -> { }, new Checks(loop.loop(), null), CheckScheduler.Options.defaults(LogMode.NONE)));
        for (int round = 1; round <= 3; round++) {
            loop.run(round == 1 ? s::start : s::pollNow);
            assertTrue(loop.await(() -> s.pending() == 0, Duration.ofSeconds(30)), "round " + round + " finished");
            long down = last.values().stream().filter(x -> x.state() != HostState.UP).count();
            assertEquals(0, down, "hosts not up after round " + round + ": " + sample(last.values().stream()
                    .filter(x -> x.state() != HostState.UP).limit(3).toList()));
            assertEquals(HOSTS, last.size());
        }
    }

    private static String sample(List<HostStatus> l) {
        return l.toString();
    }
}
