package org.hoststated.core.imsg;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.posix.SystemError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One end of an imsg channel: a Unix socketpair end (inherited or passed as a file
 * descriptor) driven by a Netty event loop, with the frame and payload codecs in its pipeline
 * and an {@link ImsgHandler} at its end.
 */
public final class ImsgChannel {
    private static final Logger log = LoggerFactory.getLogger(ImsgChannel.class);

    private final ProcId local;
    private final ProcId remote;
    private final Channel channel;
    /** The pipeline's last handler, which hands each message to the channel's handler. */
    private Dispatcher dispatcher;

    private ImsgChannel(ProcId local, ProcId remote, Channel channel) {
        this.local = local;
        this.remote = remote;
        this.channel = channel;
    }

    /**
     * Wraps {@code fd} and registers it with {@code loop}. The channel owns the descriptor from
     * here on and closes it when closed, or at once when this fails.
     *
     * <p>The descriptor is made non-blocking first: socketpair ends come blocking, and the
     * channels between engines arrive so from the parent. Netty reads again after a read that
     * filled its buffer; on a blocking descriptor with nothing more to read, that read waited
     * for the peer's next message and held the whole loop meanwhile (a relay engine stuck
     * reading pfe's channel answered no ping and was killed by the watchdog).
     */
    public static ImsgChannel open(int fd, ProcId local, ProcId remote, EventLoop loop, ImsgHandler handler)
            throws IOException {
        try {
            SocketPair.setNonBlocking(fd);
        } catch (IOException e) {
            org.hoststated.core.posix.Fds.close(fd);
            throw new IOException("channel to " + remote.title() + ": " + e.getMessage(), e);
        }
        EpollDomainSocketChannel ch = new EpollDomainSocketChannel(fd);
        ImsgChannel ic = new ImsgChannel(local, remote, ch);
        ic.dispatcher = new Dispatcher(ic, handler);
        ch.config().setOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 4 << 20));
        ch.pipeline().addLast(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel c) {
                ImsgErrors errors = new ImsgErrors(local, remote);
                c.pipeline().addLast(new ImsgFrameDecoder(local, remote, errors), new ImsgDecoder(local, remote, errors),
                        ImsgEncoder.INSTANCE, ic.dispatcher);
            }
        });
        try {
            loop.register(ch).syncUninterruptibly();
        } catch (RuntimeException e) {
            ch.unsafe().closeForcibly();
            throw new IOException("cannot register channel to " + remote.title() + ": " + e.getMessage(), e);
        }
        return ic;
    }

    public ProcId local() {
        return local;
    }

    public ProcId remote() {
        return remote;
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    public boolean isOpen() {
        return channel.isActive();
    }

    /** Queues a message; safe from any thread. A closed channel drops it (the peer is gone). */
    public void send(Imsg m) {
        checkRoute(m);
        channel.writeAndFlush(m, channel.voidPromise());
    }

    /**
     * Queues a message, as {@link #send(Imsg)}, with those {@linkplain #queue queued} before
     * it, and returns the future of its write: done once it is in the socket, or failed (the
     * channel closed). For a sender that paces itself.
     */
    public io.netty.channel.ChannelFuture sendTracked(Imsg m) {
        checkRoute(m);
        return channel.writeAndFlush(m);
    }

    /**
     * Queues a message without sending it yet: it goes with the next {@link #send(Imsg)} or
     * {@link #sendTracked}, many in one write. On the channel's loop.
     */
    public void queue(Imsg m) {
        checkRoute(m);
        channel.write(m, channel.voidPromise());
    }

    private void checkRoute(Imsg m) {
        if (!m.type().allowed(local, remote)) {
            throw new IllegalArgumentException(m.type() + " may not be sent from " + local.title() + " to " + remote.title());
        }
    }

    public void send(MessageType type, Object payload) {
        send(Imsg.of(type, payload));
    }

    public void send(MessageType type) {
        send(Imsg.of(type));
    }

    /**
     * Reads the peer's messages, or stops until called again: the peer's writes then wait in
     * its socket (back-pressure). On the channel's loop.
     */
    public void setReading(boolean on) {
        channel.config().setAutoRead(on);
    }

    public void close() {
        channel.close();
    }

    /**
     * Handles {@code m} as if it had just been read (an engine hands on so what it held back
     * meanwhile): a message the handler fails on, or does not take, closes the channel. On
     * the channel's loop.
     */
    public void deliver(Imsg m) {
        dispatcher.dispatch(m);
    }

    /** Netty's close future, completed when the channel is closed. */
    public io.netty.channel.ChannelFuture closeFuture() {
        return channel.closeFuture();
    }

    private static final class Dispatcher extends SimpleChannelInboundHandler<Imsg> {
        private final ImsgChannel ic;
        private final ImsgHandler handler;
        /** The channel's first failure has been logged; the ones behind it are not. */
        private boolean warned;

        Dispatcher(ImsgChannel ic, ImsgHandler handler) {
            this.ic = ic;
            this.handler = handler;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Imsg msg) {
            dispatch(msg);
        }

        /** Hands {@code msg} to the handler; one it fails on, or does not take, closes the channel. */
        void dispatch(Imsg msg) {
            ImsgHandler.Result r;
            try {
                r = handler.dispatch(ic, msg);
            } catch (RuntimeException e) {
                log.error("cannot handle {} from {}: {}", msg.type().logName(),
                        ic.remote.title(), String.valueOf(e), e);
                ic.close();
                return;
            }
            if (r == ImsgHandler.Result.NOT_HANDLED) {
                log.error("unexpected {} from {}", msg.type().logName(), ic.remote.title());
                ic.close();
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            handler.closed(ic);
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // Without Netty's "recvAddress(..) failed with error(-104): ". Once per channel:
            // each write queued behind the failure fails too ("Broken pipe", a closed channel),
            // and an engine's crash under a large configuration logged thousands of lines
            // (probe T). A reset or a broken pipe is a peer that died or closed, which the close
            // that follows reports ("lost child", "parent closed the channel"): said before it,
            // it read as a second fault.
            boolean first = !warned;
            warned = true;
            if (first && !peerGone(cause)) {
                log.warn("channel to {}: {}", ic.remote.title(), SystemError.text(cause));
            } else {
                log.debug("channel to {}: {}", ic.remote.title(), SystemError.text(cause));
            }
            ctx.close();
        }

        private static boolean peerGone(Throwable cause) {
            return cause instanceof Errors.NativeIoException e && (e.expectedErr() == Errors.ERRNO_ECONNRESET_NEGATIVE
                    || e.expectedErr() == Errors.ERRNO_EPIPE_NEGATIVE);
        }
    }
}
