package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.hoststated.core.posix.UnixDatagramSocket;
import org.hoststated.core.posix.Privileges;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * A check script that cannot run (missing, not executable) is warned about once, not at every
 * check; once it has run, a new failure to run is warned about again. What a script leaves
 * running is killed, also what it started in a session of its own (in a PID namespace, where
 * the system allows one); exit statuses and signals read the same with and without one.
 */
class ScriptRunnerTest {
    @TempDir
    Path dir;

    @Test
    void aScriptThatCannotRunIsWarnedOnceUntilItRuns() throws Exception {
        Path script = dir.resolve("check.sh");
        Path devLog = dir.resolve("log");
        List<String> lines = new ArrayList<>();
        try (UnixDatagramSocket syslogd = UnixDatagramSocket.bind(devLog); ScriptRunner runner = new ScriptRunner(null)) {
            LogConfig.init("hoststated", "parent", false, false, devLog);
            for (int i = 0; i < 3; i++) {
                assertEquals(ScriptResult.NOT_RUN, run(runner, script));
            }
            Files.writeString(script, "#!/bin/sh\nexit 1\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(1, run(runner, script));
            Files.delete(script);
            assertEquals(ScriptResult.NOT_RUN, run(runner, script));
            assertEquals(ScriptResult.NOT_RUN, run(runner, script));
            // A crash is a failure, said once; a script that cannot be executed says why.
            Files.writeString(script, "#!/bin/sh\nkill -SEGV $$\n");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(-1, run(runner, script));
            assertEquals(-1, run(runner, script));
            LoggerFactory.getLogger(ScriptRunnerTest.class).warn("end of test");
            byte[] buf = new byte[4096];
            for (String line = ""; !line.contains("end of test"); ) {
                line = new String(buf, 0, syslogd.receive(buf), StandardCharsets.UTF_8);
                lines.add(line);
            }
        } finally {
            LogConfig.init("hoststated", "hoststated", true, false);
        }
        assertEquals(2, lines.stream().filter(l -> l.contains("cannot run")).count(), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("cannot run (no such file)")), lines.toString());
        assertEquals(1, lines.stream().filter(l -> l.contains("killed by signal 11")).count(), lines.toString());
    }

    /**
     * A script that someone other than root may change, or may have made, is not run: it runs
     * as the engines' user, and another user's script in /tmp stopped the relay engine (probe
     * AN). Its host is down, as for a script that cannot run.
     */
    @Test
    void aScriptEveryUserMayChangeIsNotRun() throws Exception {
        Path marker = dir.resolve("ran");
        Path script = script("open.sh", "touch " + marker + "\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xrwx"));
        try (ScriptRunner runner = new ScriptRunner(null)) {
            assertEquals(ScriptResult.NOT_RUN, run(runner, script));
            assertFalse(Files.exists(marker), "not run");
            Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertEquals(0, run(runner, script));
            assertTrue(Files.exists(marker), "run once no one else may change it");
        }
    }

    /** A name without a '/' runs from the search path, which hoststated -n checks it against. */
    @Test
    void aNameWithoutASlashRunsFromTheSearchPath() throws Exception {
        try (ScriptRunner runner = new ScriptRunner(null)) {
            assertEquals(1, run(runner, Path.of("false")), "/usr/bin/false: exit 1, up");
            assertEquals(ScriptResult.NOT_RUN, run(runner, Path.of("no-such-hoststated-check")), "127: could not run");
        }
    }

    @Test
    void whatAScriptLeavesRunningIsKilled() throws Exception {
        Path pidFile = dir.resolve("bg.pid");
        Path script = script("bg.sh", "sleep 60 &\necho $! > " + pidFile + "\nexit 1\n");
        try (ScriptRunner runner = new ScriptRunner(null)) {
            assertEquals(1, run(runner, script));
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (running(pid) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertFalse(running(pid), "the background sleep " + pid + " still runs");
    }

    /** A daemon (setsid, then a fork) a script leaves behind dies with it. */
    @Test
    void whatAScriptStartsInASessionOfItsOwnIsKilled() throws Exception {
        ScriptCommandLine isolated = namespaceOrSkip();
        String token = "987." + ProcessHandle.current().pid() + "1";
        Path script = script("daemon.sh", "setsid sh -c 'sleep " + token + " & sleep " + token + "' &\n"
                + "sleep 0.3\nexit 1\n");
        try (ScriptRunner runner = new ScriptRunner(null, isolated)) {
            assertEquals(1, run(runner, script));
            assertTrue(awaitGone(token), "the daemon's sleeps still run");
        }
    }

    /** At the timeout, the script and what it started in a session of its own are killed. */
    @Test
    void aScriptKilledAtTheTimeoutTakesItsDaemonAlong() throws Exception {
        ScriptCommandLine isolated = namespaceOrSkip();
        String token = "987." + ProcessHandle.current().pid() + "2";
        Path script = script("slow.sh", "setsid sleep " + token + " &\nsleep 60\n");
        try (ScriptRunner runner = new ScriptRunner(null, isolated)) {
            CompletableFuture<ScriptResult> r = new CompletableFuture<>();
            runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 500), r::complete);
            ScriptResult result = r.get(10, TimeUnit.SECONDS);
            assertEquals(-1, result.exitStatus());
            assertTrue(result.timedOut());
            assertTrue(awaitGone(token), "the daemon's sleep still runs");
        }
    }

    /** Exit statuses, a script that kills itself, one that is missing: as without a namespace. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {"exit 0|0", "exit 3|3", "exit 200|200", "kill -9 $$; exit 1|-1",
            "kill $$; exit 1|-1", "exec /nonexistent/x|-2"})
    void statusesReadAsWithoutANamespace(String body, int expected) throws Exception {
        Path script = script("st.sh", body + "\n");
        for (ScriptCommandLine cl : List.of(new ScriptCommandLine(false), namespaceOrSkip())) {
            try (ScriptRunner runner = new ScriptRunner(null, cl)) {
                assertEquals(expected, run(runner, script), "pid namespace " + cl.pidNamespace());
            }
        }
    }

    /** Where unshare is missing or not allowed, the probe says why (the runner warns with it). */
    @Test
    void theProbeSaysWhyThereIsNoNamespace() {
        Optional<String> missing = ScriptCommandLine.probe(List.of(dir.resolve("no-unshare").toString(), "--pid"));
        assertTrue(missing.orElse("").startsWith("cannot run unshare: "), missing.toString());
        assumeTrue(ScriptCommandLine.probe().isEmpty(), "no PID namespace here at all");
        Optional<String> unprivileged = ScriptCommandLine.probe(List.of("setpriv", "--reuid=65534", "--regid=65534",
                "--clear-groups", "--", "unshare", "--pid", "--", "true"));
        assertTrue(unprivileged.orElse("").contains("Operation not permitted"), unprivileged.toString());
    }

    /**
     * The programs a script runs under are taken by their full paths, not from the PATH the
     * parent was started with (a user's directory early in root's PATH had its own unshare run
     * as root), and the script gets the user's group only, not its other groups (probe G).
     */
    @Test
    void theCommandLineNamesItsProgramsByPathAndClearsTheUsersOtherGroups() {
        List<String> argv = new ScriptCommandLine(true).argv(new Privileges.Passwd("u", 999, 995, "/"), "/s", "h", 1000);
        assertTrue(argv.get(0).startsWith("/") && argv.get(0).endsWith("/unshare"), argv.toString());
        assertTrue(argv.stream().anyMatch(a -> a.startsWith("/") && a.endsWith("/setpriv")), argv.toString());
        assertTrue(argv.stream().anyMatch(a -> a.startsWith("/") && a.endsWith("/sh")), argv.toString());
        assertTrue(argv.contains("--clear-groups") && !argv.contains("--init-groups"), argv.toString());
    }

    private ScriptCommandLine namespaceOrSkip() {
        Optional<String> unavailable = ScriptCommandLine.probe();
        assumeTrue(unavailable.isEmpty(), () -> "no PID namespace here: " + unavailable.get());
        return new ScriptCommandLine(true);
    }

    private Path script(String name, String body) throws java.io.IOException {
        Path script = Files.writeString(dir.resolve(name), "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        return script;
    }

    /** Waits (bounded) until no live process has {@code token} in its command line. */
    private static boolean awaitGone(String token) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until) {
            if (ProcessHandle.allProcesses().noneMatch(h -> h.isAlive() && running(h.pid())
                    && h.info().commandLine().orElse("").contains(token))) {
                return true;
            }
            Thread.sleep(20);
        }
        return false;
    }

    /** Alive and not a zombie waiting for init to reap it. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * A host's script runs once at a time, however often hce asks (probe G of session 56: 300
     * runs in 8 s); the next request after it ended runs it again.
     */
    @Test
    void aHostsScriptRunsOnceAtATime() throws Exception {
        Path runs = dir.resolve("runs");
        Path script = script("slow.sh", "echo run >> " + runs + "\nsleep 1\nexit 3\n");
        try (ScriptRunner runner = new ScriptRunner(null)) {
            List<CompletableFuture<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                CompletableFuture<Integer> status = new CompletableFuture<>();
                runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 5000),
                        r -> status.complete(r.exitStatus()));
                answers.add(status);
            }
            assertEquals(3, answers.get(0).get(10, TimeUnit.SECONDS));
            assertEquals(1, Files.readAllLines(runs).size(), "one run for 20 requests");
            assertTrue(answers.stream().skip(1).noneMatch(CompletableFuture::isDone), "the others are dropped");
            assertEquals(3, run(runner, script), "once it has ended, the next request runs it");
            assertEquals(2, Files.readAllLines(runs).size());
        }
    }

    /**
     * The timeout counts from the request, a slow start included: on a busy machine at start-up
     * the start took most of a timeout, and the script then had a whole one more (probe N of
     * session 58: checks of 1,000 ms for a timeout of 500). The test holds the start by holding
     * the runner's lock, which the start takes to learn how scripts are started.
     */
    @Test
    void aSlowStartCountsAgainstTheTimeout() throws Exception {
        Path script = script("hang.sh", "exec sleep 60\n");
        try (ScriptRunner runner = new ScriptRunner(null)) {
            CompletableFuture<ScriptResult> answer = new CompletableFuture<>();
            long asked = System.nanoTime();
            synchronized (runner) {
                runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 1000), answer::complete);
                Thread.sleep(1000);
            }
            ScriptResult r = answer.get(10, TimeUnit.SECONDS);
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - asked);
            assertTrue(r.timedOut(), r.toString());
            assertTrue(tookMs < 1700, "answered " + tookMs + " ms after the request, for a timeout of 1000 ms");
        }
    }

    /**
     * A script that waited for a place and is then killed at its timeout gives no verdict: the
     * wait is the daemon's (probe AF: of 40 hosts with a 1 s script and a 1.5 s timeout, the
     * same 8 were down every round). The 32 that had a place are judged.
     */
    @Test
    void aScriptKilledAfterWaitingForAPlaceGivesNoVerdict() throws Exception {
        Path script = script("hang.sh", "exec sleep 60\n");
        try (ScriptRunner runner = new ScriptRunner(null)) {
            List<CompletableFuture<ScriptResult>> placed = new ArrayList<>();
            for (int host = 0; host < ScriptRunner.MAX_RUNNING; host++) {
                CompletableFuture<ScriptResult> answer = new CompletableFuture<>();
                runner.run(new ScriptRequest(1, host, script.toString(), "127.0.0.1", 1000), answer::complete);
                placed.add(answer);
            }
            CompletableFuture<ScriptResult> waiting = new CompletableFuture<>();
            runner.run(new ScriptRequest(1, 99, script.toString(), "127.0.0.1", 2000), waiting::complete);
            for (CompletableFuture<ScriptResult> a : placed) {
                assertTrue(a.get(10, TimeUnit.SECONDS).timedOut());
            }
            Thread.sleep(2500);
            assertFalse(waiting.isDone(), "judged after its wait: " + waiting.getNow(null));
        }
    }

    /** A stop kills the scripts that run: they outlived the daemon by up to their timeout. */
    @Test
    void closingKillsTheScriptsThatRun() throws Exception {
        Path pidFile = dir.resolve("hang.pid");
        Path script = script("hang.sh", "echo $$ > " + pidFile + "\nexec sleep 60\n");
        ScriptRunner runner = new ScriptRunner(null);
        runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 30_000), r -> { });
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            assertTrue(System.nanoTime() < deadline, "the script did not start");
            Thread.sleep(20);
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        runner.close();
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "still runs after the close");
    }

    private static int run(ScriptRunner runner, Path script) throws Exception {
        CompletableFuture<Integer> status = new CompletableFuture<>();
        runner.run(new ScriptRequest(1, 1, script.toString(), "127.0.0.1", 5000), r -> status.complete(r.exitStatus()));
        return status.get(10, TimeUnit.SECONDS);
    }
}
