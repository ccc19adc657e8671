package org.hoststated.core.posix;

import java.util.Objects;
import java.util.concurrent.Executor;

import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Lets the parent JVM act on SIGHUP (reload), SIGTERM and SIGINT (shut down) and SIGCHLD (reap a
 * child), and lets an engine ignore the parent's signals (SIGHUP, SIGUSR1). Uses sun.misc.Signal from the
 * jdk.unsupported module, which the unnamed module can read on Java 17.
 *
 * <p>The JVM's signal dispatcher thread calls the handler; it must not block, so the handler only
 * hands {@code action} to {@code executor} (an event loop, typically). Replacing the JVM's
 * handler for HUP, INT or TERM means the JVM no longer exits on them by itself: the action
 * decides. Signals the JVM uses itself (SEGV, USR2 with HotSpot, ...) are refused with
 * IllegalArgumentException, as is any signal when the JVM runs with -Xrs.
 */
public final class SignalHandlers {
    private SignalHandlers() {
    }

    /** Undoes one {@link #on} registration. */
    public interface Registration extends AutoCloseable {
        /** Puts back the handler that was there before. */
        @Override
        void close();
    }

    /**
     * Runs {@code action} on {@code executor} each time signal {@code name} ("HUP", "TERM",
     * "INT", "CHLD", ...) arrives. Several arrivals before the action runs may be merged into one,
     * as with any signal.
     */
    public static Registration on(String name, Executor executor, Runnable action) {
        Objects.requireNonNull(executor, "executor");
        Objects.requireNonNull(action, "action");
        Signal signal = new Signal(name);
        SignalHandler handler = sig -> executor.execute(action);
        SignalHandler previous = Signal.handle(signal, handler);
        if (previous == SignalHandler.SIG_IGN) {
            // The JVM leaves HUP, INT and TERM alone when they were ignored at its start (nohup,
            // a background job of a script) and says so only by this answer: the daemon would
            // not reload on SIGHUP. The default first, then the JVM takes the handler.
            Native.LIBC.signal(signal.getNumber(), SIG_DFL);
            Signal.handle(signal, handler);
        }
        return () -> Signal.handle(signal, previous);
    }

    private static final long SIG_DFL = 0;

    /** Ignores signal {@code name} (SIG_IGN), e.g. INT in an engine started from a terminal. */
    public static void ignore(String name) {
        Signal.handle(new Signal(name), SignalHandler.SIG_IGN);
    }

    /** Sends signal {@code name} to this process, for tests. */
    public static void raise(String name) {
        Signal.raise(new Signal(name));
    }
}
