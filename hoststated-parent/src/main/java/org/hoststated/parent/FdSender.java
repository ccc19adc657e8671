package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.posix.FdPassing;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.proc.FdTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The parent's end of an engine's descriptor socket (the engine's fd 4), written without
 * blocking the parent's loop. An engine that does not read it (stopped, frozen, a JVM still
 * starting) filled the socket after a few hundred descriptors, and a blocking sendmsg then held
 * the loop, and with it the control socket, the signals and the watchdog that kills such an
 * engine, for good. What the socket cannot take now waits here in order, each descriptor as a
 * copy of its own (the caller may close its descriptor at once), and goes every
 * {@value #RETRY_MS} ms as the engine reads. Owned by the parent's event loop.
 */
final class FdSender {
    /**
     * Descriptors that may wait: far more than a start or a few reloads of thousands of relays
     * pass while a JVM starts; an engine this far behind is not reading.
     */
    static final int MAX_WAITING = 16_384;
    static final long RETRY_MS = 10;

    private static final Logger log = LoggerFactory.getLogger(FdSender.class);

    /** An engine that has left {@value #MAX_WAITING} descriptors unread: it is not reading. */
    static final class NotReading extends IOException {
        private static final long serialVersionUID = 1L;

        NotReading(int waiting) {
            super(waiting + " descriptors passed to it wait unread");
        }
    }

    /** Tag bytes still to send, with the copy of the descriptor that goes with the first, or -1. */
    private static final class Waiting {
        final ByteBuffer bytes;
        int fd;

        Waiting(ByteBuffer bytes, int fd) {
            this.bytes = bytes;
            this.fd = fd;
        }
    }

    private final int socket;
    private final EventLoop loop;
    private final String engine;
    private final int maxWaiting;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private boolean retryArmed;
    private boolean closed;

    FdSender(int socket, EventLoop loop, String engine) {
        this(socket, loop, engine, MAX_WAITING);
    }

    FdSender(int socket, EventLoop loop, String engine, int maxWaiting) {
        this.socket = socket;
        this.loop = loop;
        this.engine = engine;
        this.maxWaiting = maxWaiting;
    }

    /**
     * Passes {@code fd} with {@code tag}, now or, when the socket is full, as soon as the engine
     * reads; the caller keeps {@code fd} and may close it.
     *
     * @throws NotReading when {@value #MAX_WAITING} descriptors (or the bound given) already wait
     * @throws IOException when the socket fails (the engine gone) or no copy of {@code fd} can
     *     be made
     */
    void pass(FdTag tag, int fd) throws IOException {
        if (closed) {
            throw new IOException("the descriptor channel is closed");
        }
        ByteBuffer bytes = tag.encode();
        if (waiting.isEmpty()) {
            int sent = FdPassing.sendNow(socket, bytes, fd);
            if (sent == bytes.remaining()) {
                return;
            }
            if (sent > 0) {
                bytes.position(bytes.position() + sent);
                hold(new Waiting(bytes, -1));
                return;
            }
        }
        if (waiting.size() >= maxWaiting) {
            throw new NotReading(waiting.size());
        }
        hold(new Waiting(bytes, Fds.dup(fd)));
    }

    /** How many passes wait for the engine to read. */
    int waiting() {
        return waiting.size();
    }

    /** Closes the socket and the copies still waiting; the engine sees end of file. */
    void close() {
        closed = true;
        for (Waiting w : waiting) {
            closeCopy(w);
        }
        waiting.clear();
        try {
            Fds.closeFd(socket);
        } catch (IOException e) {
            // Nothing to do: the descriptor is gone either way.
        }
    }

    private void hold(Waiting w) {
        if (waiting.isEmpty()) {
            log.debug("the {} does not read its descriptors now; they wait", engine);
        }
        waiting.add(w);
        armRetry();
    }

    private void armRetry() {
        if (!retryArmed) {
            retryArmed = true;
            loop.schedule(this::flush, RETRY_MS, TimeUnit.MILLISECONDS);
        }
    }

    private void flush() {
        retryArmed = false;
        while (!closed && !waiting.isEmpty()) {
            Waiting w = waiting.peek();
            int sent;
            try {
                sent = FdPassing.sendNow(socket, w.bytes, w.fd);
            } catch (IOException e) {
                // The engine is gone; its channel's close restarts it, with everything again.
                log.debug("the {}'s descriptor channel failed: {}", engine, e.getMessage());
                close();
                return;
            }
            if (sent == 0) {
                armRetry();
                return;
            }
            closeCopy(w);
            w.bytes.position(w.bytes.position() + sent);
            if (!w.bytes.hasRemaining()) {
                waiting.poll();
            }
        }
    }

    private static void closeCopy(Waiting w) {
        if (w.fd >= 0) {
            try {
                Fds.closeFd(w.fd);
            } catch (IOException e) {
                // Nothing to do: the copy is gone either way.
            }
            w.fd = -1;
        }
    }
}
