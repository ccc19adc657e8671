package org.hoststated.ctl;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * hoststatectl(8): the control client. Runs in its own short-lived JVM (or in a test's), parses
 * its command line with {@link Grammar}, talks to the daemon over its Unix control socket
 * through {@link ControlClient} and prints the replies in the layout of the original (SPEC 2.2,
 * {@link SummaryFormatter}).
 *
 * <p>Exit status, decided here only: {@link #EXIT_OK} on success; {@link #EXIT_FAILURE} when
 * the daemon refuses a command, cannot be reached, answers garbage, and for usage errors (the
 * original exits 1 for those as well). Every failure is one line on stderr.
 */
public final class Hoststatectl {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    /** A pipe's reader has gone: the status of a command that SIGPIPE ended, as a shell reports it. */
    public static final int EXIT_READER_GONE = 128 + 13;
    public static final String DEFAULT_SOCKET = "/var/run/hoststated.sock";
    /** How long a command waits for each reply of the daemon (not {@code monitor}). */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    private Hoststatectl() {
    }

    public static void main(String[] args) {
        pickSelectorProvider();
        StartupWarmup.begin();
        Charset cs = Charset.defaultCharset();
        // Straight to the descriptors: System.out is a PrintStream over a BufferedOutputStream,
        // which would buffer twice.
        PrintWriter out = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), cs));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.err), cs));
        // No clock yet: the time zone database is read only by the commands that print times.
        int rc = run(args, out, err, REPLY_TIMEOUT, null, Hoststatectl::standardOutputIsPipe);
        out.flush();
        err.flush();
        // Nothing is left to run at exit (no shutdown hooks; both writers are flushed), so the
        // JVM's shutdown sequence is skipped.
        Runtime.getRuntime().halt(rc);
    }

    /**
     * Names the JDK's own selector provider, so that opening the control socket does not
     * search the class path for another one: that service look-up opens and indexes every jar
     * of the class path, a tenth of the CLI's run. Only on Linux, only when the JDK has the
     * class this names (checked without initialising it) and only when nobody chose another.
     */
    private static void pickSelectorProvider() {
        String property = "java.nio.channels.spi.SelectorProvider";
        String epoll = "sun.nio.ch.EPollSelectorProvider";
        if (System.getProperty(property) != null || !"Linux".equals(System.getProperty("os.name"))) {
            return;
        }
        try {
            Class.forName(epoll, false, null);
            System.setProperty(property, epoll);
        } catch (ClassNotFoundException e) {
            // Another JDK: the service look-up finds its provider, only more slowly.
        }
    }

    /** {@value #DEFAULT_SOCKET}, unless $HOSTSTATECTL_SOCKET names another (tests, jails). */
    static String defaultSocket() {
        String env = System.getenv("HOSTSTATECTL_SOCKET");
        return env == null || env.isEmpty() ? DEFAULT_SOCKET : env;
    }

    /**
     * Runs one command line as {@code main} does, printing to {@code out} and {@code err}.
     *
     * @param clock the clock of {@code monitor}; null for the system's
     */
    static int run(String[] args, PrintWriter out, PrintWriter err, Duration timeout, Clock clock) {
        return run(args, out, err, timeout, clock, () -> false);
    }

    /** {@link #run}, telling by {@code outIsPipe} whether standard output is a pipe. */
    static int run(String[] args, PrintWriter out, PrintWriter err, Duration timeout, Clock clock,
            BooleanSupplier outIsPipe) {
        Grammar.Invocation inv;
        try {
            inv = Grammar.parse(args, defaultSocket());
        } catch (Grammar.UsageException e) {
            // The reason, then the synopsis: the full list is one "hoststatectl help" away.
            err.print("hoststatectl: " + e.getMessage() + "\n" + Grammar.SYNOPSIS + " (see: hoststatectl help)\n");
            err.flush();
            return EXIT_FAILURE;
        }
        CtlContext ctx = new CtlContext(inv.socket(), timeout, clock, out, err, outIsPipe);
        try {
            int rc = inv.command().run(ctx, inv.argument());
            ctx.flushOut();
            return rc;
        } catch (ControlException e) {
            return e.isReaderGone() ? EXIT_READER_GONE : fail(out, err, e.getMessage());
        } catch (RuntimeException e) {
            // A bug of ours: still one line, never a stack trace in front of the operator.
            return fail(out, err, "internal error: " + e);
        }
    }

    /** Whether this process's standard output is a pipe (Linux: its descriptor's link names one). */
    private static boolean standardOutputIsPipe() {
        try {
            return java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/1")).toString()
                    .startsWith("pipe:");
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
    }

    private static int fail(PrintWriter out, PrintWriter err, String why) {
        out.flush();
        err.print("hoststatectl: " + why + "\n");
        err.flush();
        return EXIT_FAILURE;
    }
}
