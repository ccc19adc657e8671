package org.hoststated.hce.check;

import java.util.function.Consumer;

/**
 * One health check method of a table (SPEC section 4): relayd's check_tcp.c, check_icmp.c and
 * check_script.c families. Runs in hce on the engine's event loop: {@link #start} is called on
 * the loop and {@code done} must be called exactly once, on the loop. A failure of the outside
 * world (refused, timeout, wrong answer) is a {@link CheckResult}, never an exception.
 */
public interface Check {
    /**
     * Starts checking {@code target}. The check must be finished by {@code deadlineNanos}
     * ({@link System#nanoTime()} scale), computed once by the caller from the table timeout.
     */
    void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done);

    /** The kind as the state-change log line names it: tcp, http code, icmp, ... */
    String kind();

    /** Whether the check is done over TLS (" use ssl" in the log line). */
    default boolean ssl() {
        return false;
    }

    /** Whether a check in flight holds a file descriptor, so counts against the in-flight cap. */
    default boolean holdsDescriptor() {
        return true;
    }

    /** Marks the beginning of a round; a batched check (icmp) may prepare its batch here. */
    default void roundStarted() {
    }
}
