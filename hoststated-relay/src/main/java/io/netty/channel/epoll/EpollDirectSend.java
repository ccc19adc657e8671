package io.netty.channel.epoll;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteFailures;
import io.netty.channel.unix.IovArray;
import java.io.IOException;

/**
 * A relay's bytes sent straight to an epoll channel's socket, past Netty's outbound buffer,
 * when nothing is queued there: the common case of a relay whose peers keep up. Netty's
 * write and flush (the pipeline's walk, an outbound buffer entry and its recycling, the promise,
 * the flush's loop and its bookkeeping) cost more user time than the {@code send} itself; this
 * is one check and the system call. Whatever the socket does not take at once goes through
 * Netty's path as before, which also waits for the socket to drain and keeps back-pressure.
 *
 * <p>Only for a channel whose pipeline holds one handler, the relay's own inbound one: any
 * outbound handler (TLS, a {@code StreamCut} in progress) must see every write. In this
 * package for the channel's socket; tied to the pinned Netty version by a test.
 */
public final class EpollDirectSend {
    private EpollDirectSend() {
    }

    /**
     * Sends {@code b}'s readable bytes to {@code ch}'s socket if {@code ch} is an active epoll
     * stream channel with nothing queued and no handler but its one inbound handler. Returns
     * true when all went: {@code b} is then released. Otherwise {@code b} still belongs to the
     * caller, its reader index past what was sent, for Netty's write. A failed send is handed
     * to Netty as a failed flush of {@code b}, and true returned.
     */
    public static boolean sent(Channel ch, ByteBuf b) {
        AbstractEpollStreamChannel c = idle(ch);
        if (c == null || !b.hasMemoryAddress()) {
            return false;
        }
        int from = b.readerIndex();
        int to = b.writerIndex();
        int n;
        try {
            n = c.socket.sendAddress(b.memoryAddress(), from, to);
        } catch (IOException e) {
            fail(c, e, b, null);
            return true;
        }
        if (n == to - from) {
            b.release();
            return true;
        }
        b.readerIndex(from + n);
        return false;
    }

    /**
     * {@link #sent(Channel, ByteBuf)} for two buffers in one {@code writev}, {@code first}'s
     * bytes before {@code second}'s: a head the relay edited and the body after it, which
     * would otherwise take two system calls and two segments. On false both still belong to
     * the caller, each past what was sent of it.
     */
    public static boolean sent(Channel ch, ByteBuf first, ByteBuf second) {
        AbstractEpollStreamChannel c = idle(ch);
        if (c == null || !first.hasMemoryAddress() || !second.hasMemoryAddress()) {
            return false;
        }
        int a = first.readableBytes();
        int b = second.readableBytes();
        IovArray iov = ((NativeArrays) c.registration().attachment()).cleanIovArray();
        iov.maxBytes(Long.MAX_VALUE); // Netty's last gathering write may have left a bound
        if (!iov.add(first, first.readerIndex(), a) || !iov.add(second, second.readerIndex(), b)) {
            return false;
        }
        long n;
        try {
            n = c.socket.writevAddresses(iov.memoryAddress(0), iov.count());
        } catch (IOException e) {
            fail(c, e, first, second);
            return true;
        }
        if (n == (long) a + b) {
            first.release();
            second.release();
            return true;
        }
        int ofFirst = (int) Math.min(n, a);
        first.skipBytes(ofFirst);
        second.skipBytes((int) n - ofFirst);
        return false;
    }

    /**
     * {@code ch} as an epoll stream channel that may be sent to directly: active, nothing
     * queued, one handler; else null.
     */
    private static AbstractEpollStreamChannel idle(Channel ch) {
        if (!(ch instanceof AbstractEpollStreamChannel c) || !c.isActive()) {
            return null;
        }
        ChannelOutboundBuffer queue = c.unsafe().outboundBuffer();
        // isEmpty counts only flushed entries; bytes written and not flushed yet also count.
        if (queue == null || !queue.isEmpty() || queue.totalPendingWriteBytes() != 0) {
            return null;
        }
        ChannelPipeline p = c.pipeline();
        return p.first() == p.last() ? c : null;
    }

    /**
     * A send failed: Netty handles it as the failed flush of these bytes, with its own rules
     * (a channel with {@code AUTO_CLOSE} off shuts its output and may still be read) and the
     * error as the system call gave it (a later send would fail with EPIPE, not the reset).
     */
    private static void fail(AbstractEpollStreamChannel c, IOException e, ByteBuf first, ByteBuf second) {
        ChannelOutboundBuffer queue = c.unsafe().outboundBuffer();
        queue.addMessage(first, first.readableBytes(), c.voidPromise());
        if (second != null) {
            queue.addMessage(second, second.readableBytes(), c.voidPromise());
        }
        queue.addFlush();
        WriteFailures.failed(c, e);
    }
}
