package org.hoststated.parent;

import java.util.concurrent.atomic.AtomicBoolean;
import org.hoststated.core.posix.SignalHandlers;

/**
 * The signals of a daemon that is starting, from its first line of Java on: until the parent's
 * loop acts on them ({@link Parent#start}), a SIGHUP is noted for a reload once the start is
 * done, a SIGTERM or SIGINT for a stop then, and SIGUSR1 and SIGPIPE are ignored. With the
 * JVM's default actions a HUP or USR1 in the first seconds (a start then a reload by a
 * configuration manager, a log rotation's USR1) ended the daemon without a word, status 129 or
 * 138 (probe AH).
 */
final class StartSignals {
    private static final AtomicBoolean HUP = new AtomicBoolean();
    private static final AtomicBoolean STOP = new AtomicBoolean();

    private StartSignals() {
    }

    /** Holds the signals as the class comment says; from the JVM's signal thread. */
    static void hold() {
        SignalHandlers.on("HUP", Runnable::run, () -> HUP.set(true));
        SignalHandlers.on("USR1", Runnable::run, () -> { });
        SignalHandlers.ignore("PIPE");
        // A stop asked for while starting is an orderly one once the start is done: it ended
        // the JVM, status 143, with nothing logged (probe AK).
        SignalHandlers.on("TERM", Runnable::run, () -> STOP.set(true));
        SignalHandlers.on("INT", Runnable::run, () -> STOP.set(true));
    }

    /**
     * Ignores HUP and USR1 in this process from now on, so that a child it starts begins with
     * them ignored (a spawn keeps what is ignored): the detached copy of the daemon, until its
     * own {@link #hold} (probe AK: a HUP in its first tenth of a second ended it).
     */
    static void ignoreForChild() {
        SignalHandlers.ignore("HUP");
        SignalHandlers.ignore("USR1");
    }

    /** Whether a SIGTERM or SIGINT came since {@link #hold}. */
    static boolean stopCame() {
        return STOP.get();
    }

    /**
     * Notes a SIGHUP the parent's loop took before the engines ran configuration 1, as
     * {@link #hold}'s handler notes one before the loop: one flag for both. Whether it is the
     * first noted.
     */
    static boolean noteHup() {
        return !HUP.getAndSet(true);
    }

    /** Whether a SIGHUP came since {@link #hold} or the last call; clears it. */
    static boolean hupCame() {
        return HUP.getAndSet(false);
    }
}
