package org.hoststated.relay.handler;

import java.util.concurrent.TimeUnit;

/**
 * When a client that is being closed after its answer, but may still be sending, may be closed:
 * once it has sent nothing for {@link #QUIET_MS}, or has lingered {@link #MOST_MS} in all,
 * however much it sends (nginx's lingering_timeout and lingering_time). A client that still
 * uploads has not read its answer yet (many write a whole body before they read), and a close
 * with its bytes arriving is a reset that destroys the answer in its kernel. The rule of the
 * plain HTTP relay's lingering close ({@code LingeringClose}) and of a TLS client's close after
 * its answer ({@link RelaySession#closeTlsWhenTaken}). On the client's loop.
 */
public final class Linger {
    /** How long a client may send nothing before the close. */
    public static final long QUIET_MS = 2000;
    /** How long the whole linger may last, however much the client sends. */
    public static final long MOST_MS = 30_000;

    private final long end;
    private long lastRead;

    /** Starts lingering now. */
    public Linger() {
        long now = System.nanoTime();
        this.end = now + TimeUnit.MILLISECONDS.toNanos(MOST_MS);
        this.lastRead = now;
    }

    /** The client sent something (dropped): its quiet time starts again. */
    public void read() {
        lastRead = System.nanoTime();
    }

    /** Nanoseconds until the close may come if the client sends nothing more; none left at 0 or below. */
    public long remainingNanos() {
        return Math.min(lastRead + TimeUnit.MILLISECONDS.toNanos(QUIET_MS), end) - System.nanoTime();
    }
}
