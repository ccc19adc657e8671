package org.hoststated.ctl;

import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Text;

/**
 * What a {@link Command} works with: the control socket, how long to wait for the daemon, the
 * clock (for {@code monitor}), and where to print. Built once per run
 * by {@link Hoststatectl}; tests build it with captured output and a fixed clock.
 */
final class CtlContext {
    final String socket;
    final Duration timeout;
    private Clock clock;
    final PrintWriter out;
    final PrintWriter err;
    /** Whether standard output is a pipe (whose writes fail only when its reader has gone). */
    private final BooleanSupplier outIsPipe;

    CtlContext(String socket, Duration timeout, Clock clock, PrintWriter out, PrintWriter err,
            BooleanSupplier outIsPipe) {
        this.socket = socket;
        this.timeout = timeout;
        this.clock = clock;
        this.out = out;
        this.err = err;
        this.outIsPipe = outIsPipe;
    }

    /** The clock given, or else the system's in its default time zone (loaded on first use). */
    Clock clock() {
        if (clock == null) {
            clock = Clock.systemDefaultZone();
        }
        return clock;
    }

    /** How many times the timeout a request's answer may take ({@link #request}). */
    static final int REQUEST_TIMEOUT_FACTOR = 10;

    /** A connection whose reads wait at most the timeout. */
    ControlClient connect() throws ControlException {
        return ControlClient.connect(socket, timeout);
    }

    /** A connection for {@code monitor}: events may be hours apart. */
    ControlClient connectNoTimeout() throws ControlException {
        return ControlClient.connect(socket, null);
    }

    /**
     * Sends one request that is answered by CTL_OK or CTL_FAIL and reports the answer:
     * {@code command succeeded}, or {@code command failed: <reason>} on stderr; warnings that
     * come before it ({@code CTL_WARNING}) go to stderr as {@code warning: <text>}.
     */
    int request(MessageType type, Object payload) throws ControlException {
        // A reload, and a change that waits for one under way, take as long as reading the
        // file (each DNS name that goes unanswered about 6 s) and the engines' 15 s: 30 s gave
        // up on reloads that went on to succeed, and on changes still made afterwards.
        try (ControlClient c = ControlClient.connect(socket, timeout.multipliedBy(REQUEST_TIMEOUT_FACTOR))) {
            c.send(type, payload);
            Imsg reply = c.read();
            while (reply.type() == MessageType.CTL_WARNING) {
                err.print(SummaryFormatter.warning(reply.payload(Text.class).text()));
                err.flush();
                reply = c.read();
            }
            if (reply.type() == MessageType.CTL_OK) {
                out.print(SummaryFormatter.commandSucceeded());
                out.flush();
                if (out.checkError() && !outIsPipe.getAsBoolean()) {
                    // The daemon has done it: say so, or a script would do it again.
                    throw new ControlException("command succeeded, but cannot write to standard output");
                }
                return Hoststatectl.EXIT_OK;
            }
            if (reply.type() == MessageType.CTL_FAIL) {
                return commandFailed(reply);
            }
            throw ControlException.unexpected(reply);
        }
    }

    /**
     * Flushes standard output and fails if some of it could not be written (a full disk, a
     * pipe whose reader has gone): a PrintWriter only notes such an error, so {@code monitor |
     * head -1} went on printing into the closed pipe for ever, and {@code show summary >
     * /dev/full} exited 0. A pipe's reader that has gone ({@code show summary | head}, a
     * {@code less} quit) ends the command without a word ({@link ControlException#readerGone()}),
     * as ls and ps end there (probe AJ: "cannot write to standard output" at every {@code head}).
     */
    void flushOut() throws ControlException {
        if (out.checkError()) {
            throw outIsPipe.getAsBoolean() ? ControlException.readerGone()
                    : new ControlException("cannot write to standard output");
        }
    }

    /** Reports a CTL_FAIL reply on stderr. */
    int commandFailed(Imsg fail) {
        out.flush();
        err.print(SummaryFormatter.commandFailed(fail.payload(Text.class).text()));
        err.flush();
        return Hoststatectl.EXIT_FAILURE;
    }
}
