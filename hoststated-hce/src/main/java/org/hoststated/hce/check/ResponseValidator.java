package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import org.hoststated.core.msg.HostError;

/**
 * Decides a TCP-family check from what the host sent (relayd's {@code validate_read} and
 * {@code validate_close}). One per attempt, made by the check when it starts: it is given
 * everything read so far each time and remembers how far it has looked, so that a host
 * trickling its answer one byte per send costs time of the answer's length, not of its square.
 * Runs in hce on the event loop.
 */
public interface ResponseValidator {
    /** After a read: the verdict, or null to read on. */
    CheckResult onRead(ByteBuf soFar);

    /**
     * The host closed the connection after sending something: the final verdict. A close before
     * the first byte is the probe's {@code NO_ANSWER}, never asked here.
     */
    CheckResult onEof(ByteBuf all);

    /**
     * The verdict on a host whose answer did not come whole in time, given the probe's own
     * reason ({@code tcp read timeout}, {@code ssl read timeout}).
     */
    default CheckResult readTimeout(HostError probes) {
        return CheckResult.down(probes);
    }

    /** How much to read at most; more is a failed check (a host must not make hce buffer without end). */
    default int maxBytes() {
        return 64 * 1024;
    }
}
