package org.hoststated.hce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.CheckResult;
import org.hoststated.hce.check.CheckTarget;
import org.hoststated.hce.check.TestServers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Rounds, enable/disable, per-table interval and reloads, against real loopback servers. */
class CheckSchedulerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final TestLoop loop = new TestLoop();
    private final TestServers servers = new TestServers();
    private final List<HostStatus> statuses = new CopyOnWriteArrayList<>();
    private final AtomicInteger syncs = new AtomicInteger();

    @AfterEach
    void tearDown() {
        servers.close();
        loop.close();
    }

    private CheckScheduler scheduler(Config c, int generation) {
        return loop.call(() -> new CheckScheduler(loop.loop(), c, generation, statuses::add, syncs::incrementAndGet,
                new Checks(loop.loop(), null), CheckScheduler.Options.defaults(LogMode.ALL)));
    }

    private HostStatus last(int hostId) {
        HostStatus found = null;
        for (HostStatus s : statuses) {
            if (s.hostId() == hostId) {
                found = s;
            }
        }
        return found;
    }

    @Test
    void roundChecksEveryHostAndReportsEachResult() throws Exception {
        int up = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("web", up, CheckConfig.tcp(), List.of("127.0.0.1", "::1"), 0)
                .table("dead", TestServers.refusedPort(), CheckConfig.tcp(), List.of("127.0.0.1"), 0)
                .build();
        CheckScheduler s = scheduler(c, 7);
        loop.run(s::start);
        assertTrue(loop.await(() -> statuses.size() == 3, WAIT));
        assertEquals(1, syncs.get());
        // ::1 is not bound by the (IPv4) server: refused.
        assertEquals(HostState.UP, last(1).state());
        assertEquals(HostState.DOWN, last(2).state());
        assertEquals(HostState.DOWN, last(3).state());
        assertEquals(HostError.TCP_CONNECT_REFUSED, last(3).error());
        assertEquals(7, last(1).generation());
        assertEquals(1, last(1).checkCount());
        assertEquals(1, last(1).upCount());

        loop.run(s::pollNow);
        assertTrue(loop.await(() -> statuses.size() == 6, WAIT));
        assertEquals(2, syncs.get());
        assertEquals(2, last(1).checkCount());
        assertEquals(2, last(1).upCount());
        assertEquals(0, (int) loop.call(s::pending));
    }

    /**
     * A host name that two tables have is named with its table in the state-change line, so
     * that the two lines can be told apart; a name of one table alone is the original's line.
     */
    @Test
    void aHostInTwoTablesIsNamedWithItsTable(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        int up = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("web", up, CheckConfig.tcp(), List.of("127.0.0.1", "::1"), 0)
                .table("dead", TestServers.refusedPort(), CheckConfig.tcp(), List.of("127.0.0.1"), 0)
                .build();
        java.nio.file.Path devLog = tmp.resolve("log");
        List<String> lines = new java.util.ArrayList<>();
        try (org.hoststated.core.posix.UnixDatagramSocket syslogd =
                org.hoststated.core.posix.UnixDatagramSocket.bind(devLog)) {
            org.hoststated.core.log.LogConfig.init("hoststated", "hce", false, false, devLog);
            try {
                CheckScheduler s = scheduler(c, 1);
                loop.run(s::start);
                assertTrue(loop.await(() -> statuses.size() == 3, WAIT));
                byte[] buf = new byte[9000];
                while (lines.size() < 3) {
                    lines.add(new String(buf, 0, syslogd.receive(buf), java.nio.charset.StandardCharsets.UTF_8));
                }
            } finally {
                org.hoststated.core.log.LogConfig.init("hoststated", "hoststated", true, false);
            }
        }
        String all = String.join("\n", lines);
        assertTrue(all.contains(": host 127.0.0.1 (table web), check tcp ("), all);
        assertTrue(all.contains(": host 127.0.0.1 (table dead), check tcp ("), all);
        assertTrue(all.contains(": host ::1, check tcp ("), all);
    }

    /**
     * With room for two checks a round (a full script pool), the hosts left without a verdict go
     * first in the next round: every host is checked in turn, not the first two for ever.
     */
    @Test
    void hostsWithoutRoomGoFirstNextRound() throws Exception {
        Config c = new TestConfigs(60, 500).table("scripts", 80, CheckConfig.tcp(),
                List.of("127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"), 0).build();
        int[] room = new int[1];
        Check twoARound = new Check() {
            @Override
            public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
                CheckResult r = room[0]-- > 0 ? CheckResult.up(HostError.SCRIPT_OK) : CheckResult.OVERLOAD;
                loop.loop().execute(() -> done.accept(r));
            }

            @Override
            public String kind() {
                return "script";
            }

            @Override
            public boolean holdsDescriptor() {
                return false;
            }

            @Override
            public void roundStarted() {
                room[0] = 2;
            }
        };
        CheckScheduler s = loop.call(() -> new CheckScheduler(loop.loop(), c, 1, statuses::add, syncs::incrementAndGet,
                t -> twoARound, CheckScheduler.Options.defaults(LogMode.ALL)));
        loop.run(s::start);
        for (int round = 2; round <= 3; round++) {
            assertTrue(loop.await(() -> s.pending() == 0, WAIT));
            loop.run(s::pollNow);
        }
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        for (int host = 1; host <= 6; host++) {
            assertNotNull(last(host), "host " + host + " never checked in 3 rounds");
        }
    }

    @Test
    void retryAbsorbsFailuresAfterUp() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500).table("web", port, CheckConfig.tcp(), List.of("127.0.0.1"), 1).build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::start);
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        assertEquals(HostState.UP, last(1).state());
        servers.close();
        assertTrue(awaitRefused(port), "server stopped");
        loop.run(s::pollNow);
        assertTrue(loop.await(() -> statuses.size() == 2, WAIT));
        assertEquals(HostState.UP, last(1).state(), "first failure absorbed by retry 1");
        assertEquals(0, last(1).retryCount());
        loop.run(s::pollNow);
        assertTrue(loop.await(() -> statuses.size() == 3, WAIT));
        assertEquals(HostState.DOWN, last(1).state());
    }

    private static boolean awaitRefused(int port) {
        for (int i = 0; i < 400; i++) {
            try (java.net.Socket probe = new java.net.Socket("127.0.0.1", port)) {
                Thread.sleep(5);
            } catch (java.io.IOException e) {
                return true;
            } catch (InterruptedException e) {
                return false;
            }
        }
        return false;
    }

    @Test
    void disabledTablesAndHostsAreNotChecked() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("on", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0)
                .table("off", port, CheckConfig.tcp(), List.of("127.0.0.3"), 0, 60, true)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(() -> {
            s.setHostEnabled(2, false);
            s.start();
        });
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        assertEquals(1, statuses.get(0).hostId());
        assertEquals(0, (int) loop.call(s::pending));

        loop.run(() -> {
            s.setTableEnabled(2, true);
            s.setHostEnabled(2, true);
            s.pollNow();
        });
        assertTrue(loop.await(() -> statuses.size() == 4, WAIT));
        loop.run(() -> s.setTableEnabled(1, false));
        assertEquals(HostState.UNKNOWN, loop.call(() -> s.health(1).state()));
        assertEquals(false, loop.call(() -> s.setHostEnabled(99, false)));
    }

    /**
     * hoststatectl host enable / table enable: the host is checked at once, not at the next
     * round a minute away, and the others are not checked out of turn.
     */
    @Test
    void anEnabledHostOrTableIsCheckedAtOnceOutsideTheRounds() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("web", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0)
                .table("spare", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.4"), 0)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::start);
        assertTrue(loop.await(() -> statuses.size() == 4, WAIT));
        loop.run(() -> {
            s.setHostEnabled(1, false);
            s.setTableEnabled(2, false);
            s.setHostEnabled(4, false);
        });
        statuses.clear();

        long t0 = System.nanoTime();
        loop.run(() -> s.setHostEnabled(1, true));
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        long hostMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, statuses.get(0).hostId());
        assertEquals(HostState.UP, statuses.get(0).state(), statuses.toString());
        assertEquals(1, statuses.get(0).checkCount(), "counters start afresh at enable");

        t0 = System.nanoTime();
        loop.run(() -> s.setTableEnabled(2, true));
        assertTrue(loop.await(() -> statuses.size() == 2, WAIT));
        long tableMs = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(3, statuses.get(1).hostId(), "host 4 stays disabled in the enabled table");
        assertEquals(HostState.UP, statuses.get(1).state(), statuses.toString());
        Thread.sleep(300); // a check of host 2 or 4 would have answered by now
        assertEquals(2, statuses.size(), statuses.toString());
        assertEquals(1, syncs.get(), "no round started");
        System.out.printf("enabled host checked after %d ms, enabled table after %d ms (interval 60 s)%n",
                hostMs, tableMs);
    }

    /** The check in flight when the host was disabled counts for nothing; a new one follows it. */
    @Test
    void aHostEnabledWhileAnOldCheckIsInFlightIsCheckedWhenThatEnds() throws Exception {
        int port = servers.blackhole();
        Config c = new TestConfigs(60, 400).table("web", port, CheckConfig.tcp(), List.of("127.0.0.1"), 0).build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(() -> {
            s.start();
            s.setHostEnabled(1, false);
            s.setHostEnabled(1, true);
        });
        assertEquals(1, (int) loop.call(s::inFlight));
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        HostStatus st = statuses.get(0);
        assertEquals(HostState.DOWN, st.state());
        assertEquals(HostError.TCP_CONNECT_TIMEOUT, st.error());
        assertEquals(1, st.checkCount(), "one verdict: the old check's was dropped");
        assertTrue(st.latencyMs() >= 400, "the new check ran its own timeout: " + st.latencyMs());
        assertEquals(1, syncs.get());
    }

    /**
     * Polls during a round are one round, started when that round ends: a host answered at once
     * is not checked again for every poll while a slow host's check is still in flight (300
     * polls in 0.3 s had checked a backend's hosts back to back until its accept queue overflowed).
     */
    @Test
    void pollsDuringARoundMakeOneRoundAfterIt() throws Exception {
        int fast = servers.serve(TestServers.SILENT);
        int slow = servers.blackhole();
        Config c = new TestConfigs(60, 600)
                .table("fast", fast, CheckConfig.tcp(), List.of("127.0.0.1"), 0)
                .table("slow", slow, CheckConfig.tcp(), List.of("127.0.0.1"), 0)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::start);
        assertTrue(loop.await(() -> last(1) != null, WAIT));
        for (int i = 0; i < 20; i++) {
            loop.run(s::pollNow);
            Thread.sleep(10);
        }
        assertEquals(1, syncs.get(), "no round while the slow host's check is in flight");
        assertTrue(loop.call(s::pollPending));
        assertTrue(loop.await(() -> statuses.stream().filter(x -> x.hostId() == 2).count() == 2, WAIT),
                "the slow host checked in the round after its first");
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        assertEquals(2, syncs.get(), "20 polls, one round");
        assertEquals(2, statuses.stream().filter(x -> x.hostId() == 1).count());
        assertEquals(false, loop.call(s::pollPending));
    }

    /** Tables "every" (host 1) and "third" (host 2, interval 180 of the global 60), first round done. */
    private CheckScheduler everyAndThirdStarted() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("every", port, CheckConfig.tcp(), List.of("127.0.0.1"), 0)
                .table("third", port, CheckConfig.tcp(), List.of("127.0.0.1"), 0, 180, false)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::start);
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        return s;
    }

    @Test
    void tableIntervalSkipsRounds() throws Exception {
        CheckScheduler s = everyAndThirdStarted();
        for (int round = 2; round <= 4; round++) {
            loop.run(s::timedRoundNow);
            assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        }
        long every = statuses.stream().filter(x -> x.hostId() == 1).count();
        long third = statuses.stream().filter(x -> x.hostId() == 2).count();
        assertEquals(4, every);
        assertEquals(2, third, "checked in rounds 1 and 4");
    }

    /**
     * A poll checks every table, also one with an interval of its own, and leaves that table's
     * turn where it was: a poll took such a turn like a timed round, and most polls skipped the
     * table (probe M of session 58).
     */
    @Test
    void aPollChecksATableWithItsOwnIntervalToo() throws Exception {
        CheckScheduler s = everyAndThirdStarted();
        for (int poll = 0; poll < 3; poll++) {
            loop.run(s::pollNow);
            assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        }
        assertEquals(4, statuses.stream().filter(x -> x.hostId() == 2).count(), "the start and three polls");
        loop.run(s::timedRoundNow);
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        loop.run(s::timedRoundNow);
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        assertEquals(4, statuses.stream().filter(x -> x.hostId() == 2).count(), "its two timed rounds to skip");
    }

    @Test
    void eachTableHasItsOwnTimeout() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("quick", port, CheckConfig.httpCode(false, "/", null, 200), List.of("127.0.0.1"), 0, 60, 150, false)
                .table("patient", port, CheckConfig.httpCode(false, "/", null, 200), List.of("127.0.0.1"), 0, 60, 900,
                        false)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::start);
        assertTrue(loop.await(() -> statuses.size() == 2, WAIT));
        // The silent server is a timeout for both, each after its own table's timeout.
        assertEquals(HostError.TCP_READ_TIMEOUT, last(1).error());
        assertEquals(HostError.TCP_READ_TIMEOUT, last(2).error());
        assertTrue(last(1).latencyMs() >= 150 && last(1).latencyMs() < 900, "quick: " + last(1).latencyMs());
        assertTrue(last(2).latencyMs() >= 900, "patient: " + last(2).latencyMs());
        assertEquals(1, statuses.get(0).hostId(), "the quick table answers first");
    }

    @Test
    void reloadKeepsHostsThatStay() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c1 = new TestConfigs(60, 500)
                .table("web", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0).build();
        CheckScheduler s1 = scheduler(c1, 1);
        loop.run(s1::start);
        assertTrue(loop.await(() -> statuses.size() == 2, WAIT));
        Config c2 = new TestConfigs(60, 500)
                .table("other", port, CheckConfig.tcp(), List.of("127.0.0.9"), 0)
                .table("web", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.3"), 0).build();
        CheckScheduler s2 = scheduler(c2, 2);
        loop.run(() -> {
            s2.adopt(s1);
            s1.close();
        });
        // host 2 of c2 is web/127.0.0.1: kept; host 3 (127.0.0.3) and host 1 (other) are new.
        HostHealth kept = loop.call(() -> s2.health(2));
        assertNotNull(kept);
        assertEquals(HostState.UP, kept.state());
        assertEquals(1, kept.checkCount());
        assertEquals(HostState.UNKNOWN, loop.call(() -> s2.health(3).state()));
        assertEquals(HostState.UNKNOWN, loop.call(() -> s2.health(1).state()));
        statuses.clear();
        loop.run(s2::start);
        assertTrue(loop.await(() -> statuses.size() == 3, WAIT));
        assertEquals(2, last(2).checkCount());
        assertEquals(2, last(2).generation());
    }

    /**
     * A reload that gives a table another port or another check starts its hosts unknown (with
     * their retry budget): a tcp connect's "up" on port 8080 said nothing of port 9090 or of
     * an HTTP page, and kept hosts up through failed checks of the new target (review CD).
     */
    @Test
    void aReloadThatChangesWhatIsCheckedCarriesNoVerdict() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        int other = servers.serve(TestServers.SILENT);
        Config c1 = new TestConfigs(60, 500).table("web", port, CheckConfig.tcp(), List.of("127.0.0.1"), 0).build();
        CheckScheduler s1 = scheduler(c1, 1);
        loop.run(s1::start);
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        assertEquals(HostState.UP, loop.call(() -> s1.health(1).state()));
        for (Config c2 : List.of(
                new TestConfigs(60, 500).table("web", other, CheckConfig.tcp(), List.of("127.0.0.1"), 0).build(),
                new TestConfigs(60, 500).table("web", port, CheckConfig.httpCode(false, "/health", null, 200),
                        List.of("127.0.0.1"), 0).build())) {
            CheckScheduler s2 = scheduler(c2, 2);
            loop.run(() -> s2.adopt(s1));
            assertEquals(HostState.UNKNOWN, loop.call(() -> s2.health(1).state()), c2.tables().toString());
            loop.run(s2::close);
        }
        Config icmp1 = new TestConfigs(60, 500).table("web", port, CheckConfig.icmp(), List.of("127.0.0.1"), 0).build();
        Config icmp2 = new TestConfigs(60, 500).table("web", other, CheckConfig.icmp(), List.of("127.0.0.1"), 0).build();
        HeldChecks pings = new HeldChecks();
        CheckScheduler p1 = loop.call(() -> new CheckScheduler(loop.loop(), icmp1, 1, statuses::add, () -> { },
                t -> pings, CheckScheduler.Options.defaults(LogMode.NONE)));
        loop.run(() -> {
            p1.awaitKeptStates();
            p1.adoptKept(new HostStatus(1, 1, HostState.UP, HostError.ICMP_OK, 1, 1, 0, 0));
        });
        CheckScheduler p2 = loop.call(() -> new CheckScheduler(loop.loop(), icmp2, 2, statuses::add, () -> { },
                t -> pings, CheckScheduler.Options.defaults(LogMode.NONE)));
        loop.run(() -> p2.adopt(p1));
        assertEquals(HostState.UP, loop.call(() -> p2.health(1).state()), "a ping does not ask the port");
        loop.run(() -> {
            s1.close();
            p1.close();
            p2.close();
        });
    }

    /** What hoststatectl disabled stays unchecked after a reload; pfe keeps it disabled too. */
    @Test
    void reloadKeepsWhatTheOperatorDisabled() throws Exception {
        int port = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("web", port, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0)
                .table("spare", port, CheckConfig.tcp(), List.of("127.0.0.3"), 0).build();
        CheckScheduler s1 = scheduler(c, 1);
        loop.run(() -> {
            s1.setHostEnabled(2, false);
            s1.setTableEnabled(2, false);
        });
        CheckScheduler s2 = scheduler(c, 2);
        loop.run(() -> {
            s2.adopt(s1);
            s1.close();
            s2.start();
        });
        assertTrue(loop.await(() -> statuses.size() == 1, WAIT));
        Thread.sleep(300); // the other hosts' checks would have timed out by now
        assertEquals(1, statuses.size(), statuses.toString());
        assertEquals(1, statuses.get(0).hostId());
    }

    @Test
    void resendAllSendsEveryHost() throws Exception {
        Config c = new TestConfigs(60, 500)
                .table("web", TestServers.refusedPort(), CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0)
                .build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(s::resendAll);
        assertEquals(2, statuses.size());
        assertEquals(HostState.UNKNOWN, statuses.get(0).state());
    }

    /**
     * A restarted hce: its verdicts wait for what pfe kept, which it takes over silently. A
     * host whose check confirms the kept state has no transition and its counters go on from
     * pfe's; a host that changed meanwhile has exactly one, from the kept state.
     */
    @Test
    void aRestartedHceTakesOverWhatPfeKeptBeforeItReports() throws Exception {
        int up = servers.serve(java.net.InetAddress.getByName("0.0.0.0"), TestServers.SILENT);
        int refused = TestServers.refusedPort();
        Config c = new TestConfigs(60, 500)
                .table("web", up, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0)
                .table("gone", refused, CheckConfig.tcp(), List.of("127.0.0.3", "127.0.0.4"), 0)
                .table("flaky", refused, CheckConfig.tcp(), List.of("127.0.0.5"), 2)
                .build();
        CheckScheduler s = scheduler(c, 3);
        loop.run(() -> {
            s.awaitKeptStates();
            s.start();
        });
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        assertEquals(List.of(), statuses, "verdicts wait for pfe's kept states");
        loop.run(() -> {
            assertTrue(s.adoptKept(new HostStatus(3, 1, HostState.UP, HostError.TCP_CONNECT_OK, 10, 10, 0, 0)));
            assertTrue(s.adoptKept(new HostStatus(3, 2, HostState.DOWN, HostError.TCP_CONNECT_REFUSED, 10, 4, 0, 0)));
            assertTrue(s.adoptKept(new HostStatus(3, 3, HostState.UP, HostError.TCP_CONNECT_OK, 10, 10, 0, 0)));
            assertTrue(s.adoptKept(new HostStatus(3, 4, HostState.DOWN, HostError.TCP_CONNECT_REFUSED, 5, 0, 0, 0)));
            assertTrue(s.adoptKept(new HostStatus(3, 5, HostState.UP, HostError.TCP_CONNECT_OK, 7, 7, 1000, 0)));
            s.keptStatesEnd(3);
        });
        assertEquals(5, statuses.size());
        assertKept(s, 1, HostState.UP, HostState.UP, 11, 11);
        assertKept(s, 2, HostState.UP, HostState.DOWN, 11, 5);
        assertKept(s, 3, HostState.DOWN, HostState.UP, 11, 10);
        assertKept(s, 4, HostState.DOWN, HostState.DOWN, 6, 0);
        // retry 2 (the kept budget of 1000 bounded to it) absorbs the first failure.
        assertKept(s, 5, HostState.UP, HostState.UP, 8, 8);
        assertEquals(1, last(5).retryCount());

        // A second answer of pfe's (hce asks twice after a restart) changes nothing.
        loop.run(() -> s.adoptKept(new HostStatus(3, 1, HostState.DOWN, HostError.NONE, 1, 0, 0, 0)));
        assertEquals(HostState.UP, loop.call(() -> s.health(1).state()));
        assertEquals(false, loop.call(() -> s.adoptKept(new HostStatus(3, 99, HostState.UP, HostError.NONE, 1, 1, 0, 0))));
    }

    private void assertKept(CheckScheduler s, int hostId, HostState now, HostState before, int checks, int ups) {
        HostHealth h = loop.call(() -> s.health(hostId));
        assertEquals(now, h.state(), "host " + hostId);
        assertEquals(before, h.lastState(), "host " + hostId + ": the transition logged, if any");
        assertEquals(checks, last(hostId).checkCount(), "host " + hostId);
        assertEquals(ups, last(hostId).upCount(), "host " + hostId);
        assertEquals(now, last(hostId).state(), "host " + hostId);
    }

    /**
     * A reload racing the restart: states and their end for another generation (whose host ids
     * are another configuration's) are not adopted, and the new scheduler waits on for its own.
     */
    @Test
    void keptStatesOfAnotherGenerationAreNotAdopted() throws Exception {
        int up = servers.serve(java.net.InetAddress.getByName("0.0.0.0"), TestServers.SILENT);
        Config c1 = new TestConfigs(60, 500).table("web", up, CheckConfig.tcp(), List.of("127.0.0.1"), 0).build();
        Config c2 = new TestConfigs(60, 500)
                .table("new", up, CheckConfig.tcp(), List.of("127.0.0.9"), 0)
                .table("web", up, CheckConfig.tcp(), List.of("127.0.0.1"), 0).build();
        CheckScheduler s1 = scheduler(c1, 1);
        loop.run(() -> {
            s1.awaitKeptStates();
            s1.start();
        });
        assertTrue(loop.await(() -> s1.pending() == 0, WAIT));
        CheckScheduler s2 = scheduler(c2, 2);
        loop.run(() -> {
            s2.adopt(s1);
            s1.close();
            s2.start();
        });
        assertTrue(loop.call(s2::awaitsKeptStates));
        assertTrue(loop.await(() -> s2.pending() == 0, WAIT));
        loop.run(() -> {
            // Generation 1's web/127.0.0.1 is id 1, which in generation 2 is new/127.0.0.9.
            s2.adoptKept(new HostStatus(1, 1, HostState.DOWN, HostError.TCP_CONNECT_REFUSED, 4, 0, 0, 0));
            s2.keptStatesEnd(1);
        });
        assertEquals(List.of(), statuses);
        assertEquals(HostState.UNKNOWN, loop.call(() -> s2.health(1).state()));
        loop.run(() -> {
            s2.adoptKept(new HostStatus(2, 2, HostState.UP, HostError.TCP_CONNECT_OK, 4, 4, 0, 0));
            s2.keptStatesEnd(2);
        });
        assertEquals(2, statuses.size(), "the verdicts of generation 1 went with its scheduler");
        assertKept(s2, 2, HostState.UP, HostState.UP, 5, 5);
        assertKept(s2, 1, HostState.UP, HostState.UNKNOWN, 1, 1);
    }

    /**
     * A host, or a table, disabled while its check waits in the round's queue (behind the
     * checks in flight) is not checked when its turn comes: its verdict was reported as
     * current, and a script's check ran against a host out of service (review CD).
     */
    @Test
    void aHostOrTableDisabledWhileQueuedIsNotChecked() throws Exception {
        Config c = new TestConfigs(60, 500).table("web", 80, CheckConfig.tcp(),
                List.of("127.0.0.1", "127.0.0.2", "127.0.0.3"), 0).build();
        HeldChecks held = new HeldChecks();
        CheckScheduler s = loop.call(() -> new CheckScheduler(loop.loop(), c, 1, statuses::add, () -> { },
                t -> held, new CheckScheduler.Options(1, 1, LogMode.NONE)));
        loop.run(s::start);
        assertTrue(loop.await(() -> held.started.size() == 1, WAIT));
        loop.run(() -> s.setHostEnabled(3, false));
        held.finish(1);
        assertTrue(loop.await(() -> held.started.size() == 2, WAIT));
        held.finish(2);
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        assertEquals(List.of(1, 2), held.started, "the disabled host 3 was checked");
        assertTrue(statuses.stream().noneMatch(st -> st.hostId() == 3), statuses.toString());

        loop.run(() -> s.setHostEnabled(3, true));
        assertTrue(loop.await(() -> held.started.size() == 3, WAIT), "enabled again: checked at once");
        held.finish(3);
        loop.run(s::pollNow);
        assertTrue(loop.await(() -> held.started.size() == 4, WAIT));
        loop.run(() -> s.setTableEnabled(1, false));
        held.finish(1);
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        assertEquals(List.of(1, 2, 3, 1), held.started, "hosts 2 and 3 of the disabled table were checked");
        loop.run(s::close);
    }

    /** Checks that end when the test says so; they hold a descriptor, so the in-flight bound counts them. */
    private final class HeldChecks implements Check {
        final List<Integer> started = new CopyOnWriteArrayList<>();
        private final java.util.Map<Integer, Consumer<CheckResult>> open = new java.util.concurrent.ConcurrentHashMap<>();

        @Override
        public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
            started.add(target.hostId());
            open.put(target.hostId(), done);
        }

        @Override
        public String kind() {
            return "tcp";
        }

        @Override
        public boolean holdsDescriptor() {
            return true;
        }

        void finish(int hostId) {
            loop.run(() -> open.remove(hostId).accept(CheckResult.up(HostError.TCP_CONNECT_OK)));
        }
    }

    /** pfe's disables come first; a disabled host takes nothing over, and its held verdict is void. */
    @Test
    void aHostDisabledWhileWaitingTakesNothingOver() throws Exception {
        int up = servers.serve(TestServers.SILENT);
        Config c = new TestConfigs(60, 500)
                .table("web", up, CheckConfig.tcp(), List.of("127.0.0.1", "127.0.0.2"), 0).build();
        CheckScheduler s = scheduler(c, 1);
        loop.run(() -> {
            s.awaitKeptStates();
            s.start();
            s.resendAll();
        });
        assertEquals(List.of(), statuses, "nothing to resend while waiting");
        assertTrue(loop.await(() -> s.pending() == 0, WAIT));
        loop.run(() -> {
            s.setHostEnabled(2, false);
            s.adoptKept(new HostStatus(1, 2, HostState.UP, HostError.TCP_CONNECT_OK, 4, 4, 0, 0));
            s.keptStatesEnd(1);
        });
        assertEquals(1, statuses.size(), statuses.toString());
        assertEquals(1, statuses.get(0).hostId());
        assertEquals(HostState.UNKNOWN, loop.call(() -> s.health(2).state()));
        assertEquals(HostError.DISABLED, loop.call(() -> s.health(2).error()));
    }
}
