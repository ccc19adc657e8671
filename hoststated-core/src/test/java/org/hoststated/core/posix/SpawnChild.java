package org.hoststated.core.posix;

import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.ZoneId;

import javax.net.ssl.SSLContext;

/**
 * The child JVM the spawn tests start: it reports over the socket on fd 3 as "key value" lines
 * ended by "end", then waits for EOF on fd 3 (the parent closing its end) and exits 0. Its own
 * stdio is /dev/null: surefire's fork talks to Maven over the test JVM's stdout.
 *
 * <p>Modes: {@code fds} lists its descriptors; {@code drop USER DIR} preloads, chroots to DIR,
 * drops to USER and reports what still works inside the chroot; {@code seccomp PID} confines
 * itself ({@link Seccomp}) and reports what it may still do to process PID and to itself.
 */
public final class SpawnChild {
    private SpawnChild() {
    }

    public static void main(String[] args) throws Exception {
        StringBuilder report = new StringBuilder();
        try {
            switch (args[0]) {
                case "fds" -> listFds(report);
                case "drop" -> drop(args[1], args[2], report);
                case "seccomp" -> seccomp(Integer.parseInt(args[1]), report);
                default -> report.append("error unknown mode ").append(args[0]).append('\n');
            }
        } catch (Throwable t) {
            StringWriter trace = new StringWriter();
            t.printStackTrace(new PrintWriter(trace));
            report.append("error ").append(trace.toString().replace('\n', '|')).append('\n');
        }
        report.append("end\n");
        Fds.writeFully(3, report.toString().getBytes(StandardCharsets.UTF_8));
        byte[] buf = new byte[64];
        while (Fds.read(3, buf) > 0) {
            // wait for the parent to close its end
        }
        System.exit(0);
    }

    private static void listFds(StringBuilder report) throws Exception {
        for (int fd : Fds.openFds()) {
            String target;
            try {
                target = Fds.describe(fd);
            } catch (java.nio.file.NoSuchFileException e) {
                continue; // a file a JVM thread had open for a moment (CI once saw fd 6 go)
            }
            report.append("fd ").append(fd).append(' ').append(target).append('\n');
        }
    }

    private static void drop(String user, String dir, StringBuilder report) throws Exception {
        Privileges.Passwd pw = Privileges.lookupUser(user);
        Preloader.preload();
        // Classes in class path directories (target/classes) cannot be loaded after chroot;
        // load the ones used below now. From jars, the preload is enough.
        Class.forName("org.hoststated.core.posix.Errno$ErrnoException");
        Fds.writeFully(3, "ready\n".getBytes(StandardCharsets.UTF_8));
        Privileges.dropTo(pw, dir);
        report.append("uid ").append(Privileges.getuid()).append('\n');
        report.append("euid ").append(Privileges.geteuid()).append('\n');
        report.append("etc-passwd-visible ").append(new java.io.File("/etc/passwd").exists()).append('\n');
        SocketChannel.open().close();
        report.append("nio ok\n");
        SSLContext.getInstance("TLS").init(null, null, null);
        report.append("tls ok\n");
        report.append("zone ").append(ZoneId.of("Europe/Paris").getRules().isFixedOffset() ? "fixed" : "ok").append('\n');
        // a class from a jar that nothing loaded before the chroot
        Class<?> lazy = Class.forName("io.netty.handler.timeout.IdleStateHandler");
        report.append("lazy-class ").append(lazy.getSimpleName()).append('\n');
        try (InputStream in = lazy.getResourceAsStream("IdleStateHandler.class")) {
            report.append("resource ").append(in == null ? "null" : "ok").append('\n');
        }
    }

    private static void seccomp(int other, StringBuilder report) throws Exception {
        java.util.concurrent.CountDownLatch confined = new java.util.concurrent.CountDownLatch(1);
        int[] fromOlderThread = new int[1];
        Thread older = new Thread(() -> {
            try {
                confined.await();
            } catch (InterruptedException e) {
                return;
            }
            fromOlderThread[0] = Native.LIBC.kill(other, 0) < 0 ? Native.errno() : 0;
        });
        older.start();
        report.append("confine ").append(Seccomp.confine()).append('\n');
        confined.countDown();
        older.join();
        report.append("older-thread-kill-other ").append(fromOlderThread[0]).append('\n');
        report.append("kill-other ").append(Native.LIBC.kill(other, 0) < 0 ? Native.errno() : 0).append('\n');
        report.append("kill-self ").append(Native.LIBC.kill((int) ProcessHandle.current().pid(), 0) < 0
                ? Native.errno() : 0).append('\n');
        long attached = Native.LIBC.syscall(101, 16, other, null); // PTRACE_ATTACH
        report.append("ptrace-other ").append(attached < 0 ? Native.errno() : 0).append('\n');
        Thread later = new Thread(System::gc);
        later.start();
        later.join();
        report.append("jvm ok\n");
    }
}
