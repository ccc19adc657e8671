package io.netty.channel.uring;

import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import org.hoststated.core.proc.ForwardingIoHandler;
import io.netty.util.collection.ShortObjectHashMap;
import io.netty.util.collection.ShortObjectMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Hands a channel's POLL_ADD completion the bit it waited for when the kernel reports only a
 * hang-up. io_uring adds POLLRDHUP, POLLHUP and POLLERR to every poll's mask, so a POLLOUT
 * poll armed after the peer's FIN (its send buffer full) completes at once with POLLRDHUP
 * alone; Netty 4.2.18 dispatches a poll's completion by the bits of its result, took that
 * for a read hang-up, and left the channel marked as waiting for POLLOUT: what was queued
 * towards a server that had half-closed was never written, nor its FIN sent (probe L of
 * session 58: an upload after the server's FIN lost its last 0.2-1 MB in one session of
 * 15-30, the socket in CLOSE-WAIT until the relay's timeout). A POLLIN poll is given POLLIN
 * the same way (its read then finds the end or the error).
 *
 * <p>A POLLOUT poll that saw only the read hang-up is handed back later: until the peer takes
 * more, every new POLLOUT poll completes at once the same way, and handed back at once the
 * channel would write and poll in a loop. The wait starts at {@value #FIRST_RETRY_MS} ms and
 * doubles up to {@value #LAST_RETRY_MS} ms while nothing is written, back to the first after a
 * write that took bytes: at 5 ms each, 100 connections whose peers had half-closed and read
 * nothing took a third of a CPU (probe N of session 58). One that saw POLLHUP or POLLERR is
 * handed back at once: the write it brings fails.
 *
 * <p>Wraps the registrations of an io_uring loop's TCP connections; tied to the pinned Netty
 * version as {@link AdoptedIoUringServerSocketChannel} is.
 */
public final class PollHangups {
    static final int FIRST_RETRY_MS = 5;
    static final int LAST_RETRY_MS = 320;
    /** poll(2)'s bits, which Netty's Native does not name. */
    private static final int POLLERR = 0x008;
    private static final int POLLHUP = 0x010;
    private static final int HANGUPS = Native.POLLRDHUP | POLLHUP | POLLERR;

    private PollHangups() {
    }

    /** {@code netty}'s io_uring handlers, with their channels' poll completions mended. */
    public static IoHandlerFactory wrap(IoHandlerFactory netty) {
        return ForwardingIoHandler.factory(netty, Handler::new);
    }

    private static final class Handler extends ForwardingIoHandler {
        private final Object loop;

        Handler(IoHandler netty, Object loop) {
            super(netty);
            this.loop = loop;
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            if (!(handle instanceof AbstractIoUringStreamChannel.IoUringStreamUnsafe)) {
                // Listening sockets and the DNS relay's datagram sockets, where the stall was not
                // seen: a datagram socket's POLLERR (an ICMP error) handed on as POLLIN would bring
                // its error to a read.
                return netty.register(handle);
            }
            Mended mended = new Mended((IoUringIoHandle) handle, loop);
            mended.registration = netty.register(mended);
            return mended;
        }
    }

    /** One channel's handle and registration: notes its polls' masks, mends their completions. */
    private static final class Mended implements IoUringIoHandle, IoRegistration {
        private final IoUringIoHandle channel;
        private final Object loop;
        private IoRegistration registration;
        /** The mask of each poll in flight, by its data. */
        private final ShortObjectMap<Integer> polls = new ShortObjectHashMap<>(4);
        /** How long the next POLLOUT seen with a read hang-up alone waits; on the loop. */
        private int retryMs = FIRST_RETRY_MS;

        Mended(IoUringIoHandle channel, Object loop) {
            this.channel = channel;
            this.loop = loop;
        }

        @Override
        public long submit(IoOps ops) {
            long id = registration.submit(ops);
            IoUringIoOps o = (IoUringIoOps) ops;
            if (id != 0 && o.opcode() == Native.IORING_OP_POLL_ADD) {
                polls.put(o.data(), (Integer) o.union3());
            }
            return id;
        }

        @Override
        public void handle(IoRegistration r, IoEvent event) {
            IoUringIoEvent e = (IoUringIoEvent) event;
            if (e.res() > 0 && e.opcode() != Native.IORING_OP_POLL_ADD && e.opcode() != Native.IORING_OP_RECV) {
                retryMs = FIRST_RETRY_MS; // a write took bytes (or a connect, a close: no harm)
            }
            if (e.opcode() == Native.IORING_OP_POLL_ADD) {
                boolean more = (e.flags() & Native.IORING_CQE_F_MORE) != 0; // a multishot poll goes on
                Integer asked = more ? polls.get(e.data()) : polls.remove(e.data());
                int res = e.res();
                int wanted = asked == null ? 0 : asked & (Native.POLLIN | Native.POLLOUT);
                if (wanted != 0 && res >= 0 && (res & wanted) == 0 && (res & HANGUPS) != 0) {
                    // A new event: Netty's own is reused for the next completion.
                    IoUringIoEvent mended = new IoUringIoEvent(wanted | (res & (POLLHUP | POLLERR)),
                            e.flags(), e.opcode(), e.userData());
                    if (wanted == Native.POLLOUT && (res & (POLLHUP | POLLERR)) == 0
                            && loop instanceof ScheduledExecutorService s) {
                        s.schedule(() -> {
                            if (r.isValid()) {
                                channel.handle(r, mended);
                            }
                        }, retryMs, TimeUnit.MILLISECONDS);
                        retryMs = Math.min(LAST_RETRY_MS, retryMs * 2);
                        return;
                    }
                    event = mended;
                }
            }
            channel.handle(r, event);
        }

        @Override
        public void registered() {
            channel.registered();
        }

        @Override
        public void unregistered() {
            channel.unregistered();
        }

        @Override
        public void close() throws Exception {
            channel.close();
        }

        @Override
        public <T> T attachment() {
            return registration.attachment();
        }

        @Override
        public boolean isValid() {
            return registration.isValid();
        }

        @Override
        public boolean cancel() {
            return registration.cancel();
        }
    }
}
