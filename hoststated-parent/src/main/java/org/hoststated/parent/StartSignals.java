package org.hoststated.parent;

import java.util.concurrent.atomic.AtomicBoolean;
import org.hoststated.core.posix.SignalHandlers;

/**
 * The signals of a daemon that is starting, from its first line of Java on: until the parent's
 * loop acts on them ({@link Parent#start}), a SIGHUP is noted for a reload once the start is
 * done, and SIGUSR1 and SIGPIPE are ignored. With the JVM's default actions a HUP or USR1 in
 * the first seconds (a start then a reload by a configuration manager, a log rotation's USR1)
 * ended the daemon without a word, status 129 or 138 (probe AH).
 */
final class StartSignals {
    private static final AtomicBoolean HUP = new AtomicBoolean();

    private StartSignals() {
    }

    /** Holds the signals as the class comment says; from the JVM's signal thread. */
    static void hold() {
        SignalHandlers.on("HUP", Runnable::run, () -> HUP.set(true));
        SignalHandlers.on("USR1", Runnable::run, () -> { });
        SignalHandlers.ignore("PIPE");
    }

    /** Whether a SIGHUP came since {@link #hold} or the last call; clears it. */
    static boolean hupCame() {
        return HUP.getAndSet(false);
    }
}
