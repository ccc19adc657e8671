package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelInputShutdownReadComplete;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import org.hoststated.relay.handler.TlsRecordCursor;

/**
 * Keeps a TLS client's close_notify away from the engine until the answer to its request is
 * out. A client that sends its request and then close_notify, keeping its connection open to
 * read (RFC 8446 6.1 allows it: Go's {@code CloseWrite}, the JDK's {@code shutdownOutput} in
 * TLS 1.3), got nothing: BoringSSL, through Netty's engine, answers a close_notify with its own
 * at once and takes no application data after it (DESIGN.md, <i>A TLS client's
 * close_notify</i>), so the response could not be sent. HAProxy and nginx answer such a client.
 *
 * <p>A close_notify cannot be told apart before the engine decrypts it. But while the session
 * has a whole request at its server and awaits the response
 * ({@link HttpFrontendHandler#awaitsResponse}), nothing the client sends is read before that
 * response is over anyway: what comes then is held here, still sealed, and the frontend lets
 * it go once the response is out and no request waits ({@link #release}). The engine then reads
 * it as it would have, and a close_notify ends the session after a whole answer. A read is
 * looked at where it begins, and where a small record (at most {@value #SMALL_RECORD} bytes, as
 * any alert; a long one is data) begins within it, after what came before went on: the request
 * and the close_notify may come in one read, and in TLS 1.3 the client's Finished with them
 * (small records of the handshake are passed on one by one too). Held input beyond
 * {@link #MAX_HELD} bytes goes on at once, to the frontend's own bound on what it keeps.
 *
 * <p>Before the {@link SslHandler}, for the session's whole life: it follows the client's record
 * boundaries from the first byte ({@link TlsRecordCursor}). Holds the end of input (FIN) with
 * the bytes before it, so that the two arrive in the order sent. On the channel's loop; one per
 * TLS session of an HTTP relay.
 */
final class CloseNotifyDefer extends ChannelInboundHandlerAdapter {
    private static final int RECORD_HEADER = 5;
    /** The longest record that may be an alert: a TLS 1.3 one is 19 bytes sealed, 35 padded by the JDK. */
    static final int SMALL_RECORD = 255;
    /** Held bytes beyond which the hold lets go. */
    static final int MAX_HELD = 16 * 1024;

    private final TlsRecordCursor records = new TlsRecordCursor();
    /** What is held: buffers and end-of-input events, in the order they came. */
    private final ArrayDeque<Object> held = new ArrayDeque<>();
    private int heldBytes;
    /**
     * The buffer the reads held after the first are copied into, last in {@link #held}, or
     * null: each read held as a buffer of its own, a client that sent its 16 KiB a byte per
     * segment had 13,000 buffers held, 2 MB of heap and read buffers (review CM).
     */
    private ByteBuf merged;
    private ChannelHandlerContext ctx;
    private HttpFrontendHandler frontend;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    /** Whether a record that may be the client's close_notify is held. */
    boolean holding() {
        return !held.isEmpty();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf b)) {
            ctx.fireChannelRead(msg);
        } else if (holding()) {
            hold(b);
        } else {
            read(b, true);
        }
    }

    /**
     * Passes {@code b} on, up to a record to hold when {@code mayHold} (then held with the rest
     * of {@code b}).
     */
    private void read(ByteBuf b, boolean mayHold) {
        int i = b.readerIndex();
        int end = b.writerIndex();
        while (i < end) {
            if (mayHold && records.atRecordStart() && holdFrom(b, i)) {
                // What came before went on; the frontend now waits for its response.
                hold(b);
                return;
            }
            i = records.next(b, i, end);
        }
        ctx.fireChannelRead(b);
    }

    /**
     * Whether {@code b} is held from the record that begins at {@code at}: the session then
     * awaits a response. What came before that record went on first, and {@code b} is left to
     * begin at it; a long record within a read is passed over.
     */
    private boolean holdFrom(ByteBuf b, int at) {
        if (at > b.readerIndex()) {
            if (b.writerIndex() - at < RECORD_HEADER || b.getUnsignedShort(at + 3) > SMALL_RECORD) {
                return false;
            }
            ctx.fireChannelRead(b.readRetainedSlice(at - b.readerIndex()));
        }
        if (frontend == null) {
            frontend = ctx.pipeline().get(HttpFrontendHandler.class);
        }
        return frontend != null && ctx.channel().isActive() && frontend.awaitsResponse();
    }

    private void hold(ByteBuf b) {
        heldBytes += b.readableBytes();
        if (merged != null && held.peekLast() == merged) {
            merged.writeBytes(b);
            b.release();
        } else if (held.peekLast() instanceof ByteBuf last) {
            held.pollLast();
            merged = ctx.alloc().buffer(last.readableBytes() + b.readableBytes());
            merged.writeBytes(last);
            merged.writeBytes(b);
            last.release();
            b.release();
            held.add(merged);
        } else {
            held.add(b);
        }
        if (heldBytes > MAX_HELD) {
            // A client that sends this much while it waits is pipelining: it all goes on.
            pass(takeHeld(), false);
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        boolean endOfInput = evt instanceof ChannelInputShutdownEvent || evt instanceof ChannelInputShutdownReadComplete;
        if (holding() && endOfInput) {
            held.add(evt);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Lets what is held go on to the engine, as a read: the response is out (the frontend
     * flushed it) and nothing waits. Holds again where a record read then awaits a response.
     */
    void release() {
        if (holding()) {
            pass(takeHeld(), true);
        }
    }

    private ArrayDeque<Object> takeHeld() {
        ArrayDeque<Object> queued = new ArrayDeque<>(held);
        held.clear();
        heldBytes = 0;
        merged = null;
        return queued;
    }

    /** Passes {@code queued} on as a read, holding again where a record then may be ({@code mayHold}). */
    private void pass(ArrayDeque<Object> queued, boolean mayHold) {
        for (Object m : queued) {
            if (holding()) {
                if (m instanceof ByteBuf b) {
                    hold(b);
                } else {
                    held.add(m);
                }
            } else if (m instanceof ByteBuf b) {
                read(b, mayHold);
            } else {
                ctx.fireUserEventTriggered(m);
            }
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        drop();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        drop();
    }

    private void drop() {
        while (!held.isEmpty()) {
            ReferenceCountUtil.release(held.poll());
        }
        heldBytes = 0;
        merged = null;
    }
}
