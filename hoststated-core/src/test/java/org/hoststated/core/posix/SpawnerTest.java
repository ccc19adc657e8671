package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class SpawnerTest {
    private static final Duration LONG = Duration.ofSeconds(30);
    private final Spawner spawner = new Spawner();

    @Test
    void childJvmGetsExactlyItsMappedFdsAndArgv0() throws Exception {
        int[] a = SocketPair.open();
        int[] b = SocketPair.open();
        int[] marker = SocketPair.open();
        Fds.setCloexec(marker[0], false); // an inheritable fd the child must still not get
        int devNull = Fds.openDevNull();
        String childA = Fds.describe(a[1]);
        String childB = Fds.describe(b[1]);
        Set<String> parentOnly = Set.of(Fds.describe(a[0]), Fds.describe(b[0]), Fds.describe(marker[0]),
                Fds.describe(marker[1]));
        Map<Integer, Integer> fds = Spawner.stdioTo(devNull, Map.of(3, a[1], 4, b[1]));

        long t0 = System.nanoTime();
        SpawnedProcess child = spawner.spawn(ChildJvm.JAVA, ChildJvm.argv("hoststated: test engine", "fds"),
                ChildJvm.ENV, fds, true);
        long t1 = System.nanoTime();
        SocketPair.close(a[1]);
        SocketPair.close(b[1]);
        String report = ChildJvm.readUntil(a[0], "end\n");
        long t2 = System.nanoTime();
        System.out.printf("spawn call %.2f ms, spawn to first report %.1f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6);

        String cmdline = Files.readString(Path.of("/proc/" + child.pid() + "/cmdline"));
        assertTrue(cmdline.startsWith("hoststated: test engine\0"), cmdline);
        Map<Integer, String> childFds = new HashMap<>();
        for (String line : report.split("\n")) {
            if (line.startsWith("fd ")) {
                String[] f = line.split(" ", 3);
                childFds.put(Integer.parseInt(f[1]), f[2]);
            }
        }
        assertFalse(report.contains("error"), report);
        assertEquals(childA, childFds.get(3), report);
        assertEquals(childB, childFds.get(4), report);
        for (int stdio = 0; stdio <= 2; stdio++) {
            assertEquals("/dev/null", childFds.get(stdio), report);
        }
        for (String target : childFds.values()) {
            assertFalse(parentOnly.contains(target), "leaked " + target + " into " + report);
        }
        // beyond 0-4, only what the child JVM opened itself: its jars and JDK files, no sockets
        Set<String> extra = childFds.entrySet().stream().filter(e -> e.getKey() > 4)
                .map(Map.Entry::getValue).filter(t -> t.startsWith("socket:") || t.startsWith("pipe:"))
                .collect(Collectors.toSet());
        assertTrue(extra.isEmpty(), "unexpected sockets or pipes " + extra + " in " + report);

        SocketPair.close(a[0]);
        SocketPair.close(b[0]);
        assertEquals(new ExitStatus(0, 0, false), child.waitFor(LONG).orElseThrow());
        for (int fd : new int[] {marker[0], marker[1], devNull}) {
            Fds.closeFd(fd);
        }
    }

    @Test
    void shellChildSeesEnvpOwnSessionAndEmptySignalMask() throws Exception {
        int[] out = SocketPair.open();
        int[] other = SocketPair.open();
        // exec: the spawned process reads its own status; a shell reading /proc/$$ races with
        // the shell blocking every signal while it forks the reader.
        String script = "echo \"$FOO\" >&3; readlink /proc/$$/fd/4 >&3; "
                + "exec cat /proc/self/stat /proc/self/status >&3";
        Map<Integer, Integer> fds = Map.of(3, out[1], 4, other[1]);
        SpawnedProcess child = spawner.spawn("sh", List.of("sh", "-c", script), List.of("FOO=bar baz"), fds, true);
        SocketPair.close(out[1]);
        String report = ChildJvm.readUntil(out[0], "\u0000never");
        assertEquals(new ExitStatus(0, 0, false), child.waitFor(LONG).orElseThrow());
        String[] lines = report.split("\n");
        assertEquals("bar baz", lines[0]);
        assertEquals(Fds.describe(other[1]), lines[1]);
        String[] stat = lines[2].substring(lines[2].lastIndexOf(')') + 2).split(" ");
        assertEquals(Integer.toString(child.pid()), stat[3], "session id"); // field 6: session
        assertTrue(report.contains("SigBlk:\t0000000000000000"), report);
        for (int fd : new int[] {out[0], other[0], other[1]}) {
            Fds.closeFd(fd);
        }
    }

    @Test
    void exitCodesAndSignalsAreDecoded() throws Exception {
        SpawnedProcess seven = spawner.spawn("/bin/sh", List.of("sh", "-c", "exit 7"), List.of(), Map.of(), false);
        assertEquals("exited with code 7", seven.waitFor(LONG).orElseThrow().toString());

        SpawnedProcess sleeper = spawner.spawn("sleep", List.of("sleep", "60"), List.of("PATH=/usr/bin:/bin"),
                Map.of(), false);
        assertTrue(sleeper.tryReap().isEmpty());
        assertTrue(sleeper.kill(SpawnedProcess.SIGTERM));
        ExitStatus status = sleeper.waitFor(LONG).orElseThrow();
        assertEquals(SpawnedProcess.SIGTERM, status.signal());
        assertEquals("killed by signal 15", status.toString());
        assertFalse(sleeper.kill(SpawnedProcess.SIGKILL), "a reaped pid must not be signalled");
    }

    @Test
    void waitForTimesOutOnARunningChild() throws Exception {
        SpawnedProcess sleeper = spawner.spawn("/bin/sleep", List.of("sleep", "60"), List.of(), Map.of(), false);
        assertTrue(sleeper.waitFor(Duration.ofMillis(50)).isEmpty());
        sleeper.kill(SpawnedProcess.SIGKILL);
        assertEquals(SpawnedProcess.SIGKILL, sleeper.waitFor(LONG).orElseThrow().signal());
    }

    @Test
    void missingExecutableFailsWithStrerror() {
        IOException e = assertThrows(IOException.class, () -> spawner.spawn("/nonexistent/hoststated",
                List.of("x"), List.of(), Map.of(), false));
        assertEquals("posix_spawnp /nonexistent/hoststated: No such file or directory", e.getMessage());
    }

    /**
     * A descriptor number the spawn needs at or above this process's limit of open files is
     * refused in words: posix_spawn_file_actions_adddup2 said "Bad file descriptor", which a
     * parent started under a low limit reported as why an engine could not start.
     */
    @Test
    void descriptorNumbersAboveTheLimitOfOpenFilesAreRefusedInWords() throws Exception {
        long limit = Fds.openFileLimit();
        org.junit.jupiter.api.Assumptions.assumeTrue(limit > 3 && limit < Integer.MAX_VALUE, "limit " + limit);
        int devNull = Fds.openDevNull();
        try {
            IOException e = assertThrows(IOException.class, () -> spawner.spawn("/bin/true", List.of("true"),
                    List.of(), Map.of((int) limit, devNull), false));
            assertEquals("its descriptors are handed over through numbers up to " + (limit + 1) + ", and this process"
                    + " may open " + limit + ": raise the limit of open files (LimitNOFILE= or ulimit -n)", e.getMessage());
        } finally {
            Fds.close(devNull);
        }
    }

    @Test
    void stdioToMapsZeroOneTwo() {
        Map<Integer, Integer> m = Spawner.stdioTo(9, Map.of(3, 5));
        assertEquals(Map.of(0, 9, 1, 9, 2, 9, 3, 5), m);
    }

    @Test
    void socketPairEndsAreCloseOnExecAndConnected() throws Exception {
        int[] sv = SocketPair.open();
        assertTrue(Fds.isCloexec(sv[0]));
        assertTrue(Fds.isCloexec(sv[1]));
        Fds.writeFully(sv[0], "ping".getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[4];
        assertEquals(4, Fds.read(sv[1], buf));
        assertEquals("ping", new String(buf, StandardCharsets.UTF_8));
        SocketPair.setNonBlocking(sv[1]);
        IOException e = assertThrows(IOException.class, () -> Fds.read(sv[1], buf));
        assertEquals("read fd " + sv[1] + ": Resource temporarily unavailable", e.getMessage());
        assertTrue(Fds.openFds().contains(sv[0]));
        SocketPair.close(sv[0]);
        SocketPair.close(sv[1]);
        assertFalse(Fds.openFds().contains(sv[0]));
    }
}
