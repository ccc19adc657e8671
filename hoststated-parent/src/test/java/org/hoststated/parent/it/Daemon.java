package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The real daemon for end-to-end tests: the parent JVM started from the packaged jars, as
 * bin/hoststated does, which starts the three engine JVMs. hoststatectl runs as a process too.
 */
final class Daemon implements AutoCloseable {
    final Path dir;
    final Path config;
    final Path socket;
    final Path chroot;
    final Path log;
    private Process process;
    /** The parent's class path, when not the build's ({@link #classpath}). */
    private String parentClassPath;

    Daemon(Path dir) throws IOException {
        this(dir, dir.resolve("hoststated.sock"));
    }

    /** A daemon whose control socket is {@code socket}. */
    Daemon(Path dir, Path socket) throws IOException {
        this.dir = dir;
        this.config = dir.resolve("hoststated.conf");
        this.socket = socket;
        this.chroot = Files.createDirectories(dir.resolve("empty"));
        this.log = dir.resolve("daemon.log");
        // The chroot must not be writable by the unprivileged user; a temp dir's parent is.
        Files.setPosixFilePermissions(chroot, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** The global lines every test config starts with. */
    String globals() {
        return "user \"nobody\"\nchroot \"" + chroot + "\"\nsocket \"" + socket + "\"\nl3 backend none\n";
    }

    void writeConfig(String text) throws IOException {
        Files.writeString(config, text);
    }

    static String classpath() {
        Path target = Path.of(System.getProperty("user.dir"), "target");
        List<String> jars = new ArrayList<>();
        try (Stream<Path> s = Files.list(target.resolve("lib"))) {
            s.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> jars.add(p.toString()));
        } catch (IOException e) {
            throw new IllegalStateException("no target/lib: run the tests with ./mvnw verify", e);
        }
        try (Stream<Path> s = Files.list(target)) {
            s.filter(p -> p.getFileName().toString().matches("hoststated-parent-.*\\.jar")).forEach(p -> jars.add(p.toString()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return String.join(File.pathSeparator, jars);
    }

    static String java() {
        return System.getProperty("java.home") + "/bin/java";
    }

    /**
     * Whether {@code program} is an executable on the PATH: tests that drive curl or openssl
     * skip, with a message, on a machine without them (CI installs both).
     */
    static boolean installed(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir.isEmpty() ? "." : dir, program))) {
                return true;
            }
        }
        return false;
    }

    void start() throws IOException {
        start(java.util.Map.of());
    }

    /** Runs the parent from {@code classPath} instead of the build's jars. */
    void runFrom(String classPath) {
        parentClassPath = classPath;
    }

    /** Starts the daemon with {@code environment} added to the test's. */
    void start(java.util.Map<String, String> environment) throws IOException {
        startVia(List.of(), environment);
    }

    /** {@link #start(java.util.Map)} under a wrapper command, such as {@code prlimit} to lower a limit. */
    void startVia(List<String> wrapper, java.util.Map<String, String> environment) throws IOException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData",
                "-cp", parentClassPath != null ? parentClassPath : classpath(), "org.hoststated.parent.Hoststated",
                "-d", "-f", config.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(environment);
        process = pb.start();
        await("control socket", Duration.ofSeconds(30), () -> Files.exists(socket) || !process.isAlive());
        if (!process.isAlive()) {
            fail("daemon exited at start:\n" + logText());
        }
    }

    long pid() {
        return process.pid();
    }

    Process process() {
        return process;
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /**
     * Runs hoststatectl; its output without the lines of the warnings that come before a
     * reload's answer ({@code warning: ...}), which the tests of those warnings read with
     * {@link #ctlWithWarnings}.
     */
    Result ctl(String... args) throws IOException, InterruptedException {
        Result r = ctlVia(List.of(), args);
        return new Result(r.status(), r.output().replaceAll("(?m)^warning: .*\n", ""));
    }

    /** Runs hoststatectl; its whole output, warnings included. */
    Result ctlWithWarnings(String... args) throws IOException, InterruptedException {
        return ctlVia(List.of(), args);
    }

    /**
     * Runs hoststatectl under a wrapper command, such as {@code setpriv} to run it as another
     * user (so no perf data file: the user may not write /tmp/hsperfdata_root).
     */
    Result ctlVia(List<String> wrapper, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(java(), "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-cp", classpath(),
                "org.hoststated.ctl.Hoststatectl", "-s", socket.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("hoststatectl hung: " + String.join(" ", args));
        }
        return new Result(p.exitValue(), out);
    }

    record Result(int status, String output) {
    }

    /** The line of {@code show summary} for a host, or "" when absent. */
    String hostLine(String host) throws IOException, InterruptedException {
        for (String line : ctl("show", "summary").output().split("\n")) {
            String[] f = line.split("\t");
            if (f.length == 5 && f[0].equals("host") && f[2].trim().equals(host)) {
                return line;
            }
        }
        return "";
    }

    /** One connection through a relay: what the backend said. */
    static String fetch(InetSocketAddress relay) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(relay, 2000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        }
    }

    /** The child engine whose {@code ps} title starts with {@code title}, if running. */
    Optional<Long> child(String title) {
        return ProcessHandle.of(process.pid()).stream().flatMap(ProcessHandle::children)
                .filter(h -> cmdline(h.pid()).startsWith(title)).map(ProcessHandle::pid).findFirst();
    }

    static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    static void await(String what, Duration limit, BooleanSupplier cond) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted");
            }
        }
    }

    /** Like {@link #await}, for conditions that ask the daemon. */
    interface Check {
        boolean test() throws Exception;
    }

    /** Like {@link #awaitTrue(String, Duration, Check)}, with this daemon's log in the failure. */
    void awaitLogged(String what, Duration limit, Check cond) {
        try {
            awaitTrue(what, limit, cond);
        } catch (AssertionError e) {
            fail(e.getMessage() + "\n--- daemon log ---\n" + logText());
        }
    }

    static void awaitTrue(String what, Duration limit, Check cond) {
        await(what, limit, () -> {
            try {
                return cond.test();
            } catch (Exception e) {
                return false;
            }
        });
    }

    void signal(String sig) throws IOException, InterruptedException {
        // The shell's own kill: a minimal system may have no kill program (procps).
        new ProcessBuilder("sh", "-c", "kill -" + sig + " " + process.pid()).inheritIO().start().waitFor();
    }

    @Override
    public void close() throws Exception {
        if (process != null && process.isAlive()) {
            signal("TERM");
            // The stop lets open relay sessions finish for up to 10 s; a test's leftovers need not.
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                signal("TERM");
            }
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
            }
        }
    }
}
