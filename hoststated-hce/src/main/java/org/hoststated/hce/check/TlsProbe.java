package org.hoststated.hce.check;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.handler.ssl.ReferenceCountedOpenSslEngine;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.internal.tcnative.SSL;
import io.netty.util.NetUtil;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.hoststated.core.msg.HostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS {@link Probe} ({@code check ssl}, {@code https}, {@code send ... ssl}): connect, a TLS
 * handshake that trusts any certificate (a check verifies that the handshake works, not who the
 * host is), send the request if any, read until the {@link ResponseValidator} decides, the host
 * closes, or the deadline passes. Built on Netty's {@code Bootstrap} and {@link SslHandler};
 * plain checks take the cheaper {@link PlainProbe}. Runs in hce on the engine's event loop; the
 * channel is registered on that same loop, so no state is shared across threads. Every outcome
 * is a {@link CheckResult}; nothing is thrown across the loop.
 *
 * <p>A host that trickles its answer has its reads held ({@link TlsReadHold}), and, as in
 * {@link PlainProbe}, whatever waits in the socket at the deadline is read and judged before a
 * timeout is called.
 */
public final class TlsProbe implements Probe {
    private static final Logger log = LoggerFactory.getLogger(TlsProbe.class);
    /** What the loop hands a channel whose socket is readable: handed over by the deadline itself. */
    private static final EpollIoEvent READABLE = () -> EpollIoOps.EPOLLIN;

    private final EventLoop loop;
    private final Bootstrap v4;
    private final Bootstrap v6;
    private final SslContext ssl;

    public TlsProbe(EventLoop loop) {
        Epoll.ensureAvailability();
        this.loop = loop;
        this.v4 = bootstrap(loop, SocketProtocolFamily.INET);
        this.v6 = bootstrap(loop, SocketProtocolFamily.INET6);
        try {
            this.ssl = SslContextBuilder.forClient().trustManager(InsecureTrustManagerFactory.INSTANCE).build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for checks: " + e.getMessage(), e);
        }
    }

    private static Bootstrap bootstrap(EventLoop loop, SocketProtocolFamily family) {
        return new Bootstrap().group(loop)
                .channelFactory(() -> new EpollSocketChannel(family))
                .option(ChannelOption.SO_LINGER, 0) // no TIME_WAIT pile-up across rounds
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 0) // the check's own deadline rules
                .handler(new ChannelInboundHandlerAdapter());
    }

    @Override
    public boolean tls() {
        return true;
    }

    @Override
    public void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator validator,
            Consumer<CheckResult> done) {
        probe(target, deadlineNanos, request, validator, null, done);
    }

    @Override
    public void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator validator,
            String serverName, Consumer<CheckResult> done) {
        new Attempt(target, request, validator, sniName(serverName != null ? serverName : target.name()), done)
                .begin(deadlineNanos);
    }

    /**
     * The name the handshake asks for (SNI): the check's {@code host}, else the host's name as
     * configured, without a port or a final dot; null for an address, which SNI cannot carry,
     * and for a name without a dot, which the TLS library does not send (nor do browsers).
     * Letters, digits, '-', '_' and '.' (an underscore is no hostname's, but servers and
     * OpenSSL's clients take it, probe CH). The checks sent none, and a server that wants one
     * (nginx's {@code ssl_reject_handshake}, many ingress controllers) refused them while its
     * clients were served (review CF).
     */
    static String sniName(String name) {
        if (name == null || name.isEmpty() || name.startsWith("[")) {
            return null;
        }
        String n = name;
        int colon = n.indexOf(':');
        if (colon >= 0 && colon == n.lastIndexOf(':')) {
            n = n.substring(0, colon);   // "name:port" (an IPv6 address has more colons)
        }
        if (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        if (n.indexOf('.') <= 0 || NetUtil.isValidIpV4Address(n) || NetUtil.isValidIpV6Address(n)) {
            return null;
        }
        for (int i = 0; i < n.length(); i++) {
            char c = n.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 0x80 || c == '-' || c == '.' || c == '_')) {
                return null;
            }
        }
        return n;
    }

    private enum Phase { CONNECT, HANDSHAKE, READ }

    /** One probe; reports once, then closes its channel and frees its buffer. */
    private final class Attempt extends ChannelInboundHandlerAdapter {
        private final CheckTarget target;
        private final byte[] request;
        private final ResponseValidator validator;
        private final Consumer<CheckResult> done;
        /** Asked for in the handshake (SNI), or null. */
        private final String serverName;
        private Phase phase = Phase.CONNECT;
        private Channel channel;
        private ScheduledFuture<?> timer;
        private ByteBuf received;
        private EngineLag lag;
        private boolean finished;
        /** The raw reads' handler, from the handshake on. */
        private TlsReadHold raw;

        Attempt(CheckTarget target, byte[] request, ResponseValidator validator, String serverName,
                Consumer<CheckResult> done) {
            this.target = target;
            this.serverName = serverName;
            this.request = request;
            this.validator = validator;
            this.done = done;
        }

        void begin(long deadlineNanos) {
            lag = new EngineLag(deadlineNanos);
            timer = loop.schedule(this::deadline, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            Bootstrap b = target.address() instanceof Inet6Address ? v6 : v4;
            ChannelFuture f = b.clone().handler(this).connect(new InetSocketAddress(target.address(), target.port()));
            channel = f.channel();
            f.addListener(x -> {
                // A channel that could not even be created (EMFILE) reports on another thread.
                if (loop.inEventLoop()) {
                    connected(f);
                } else {
                    loop.execute(() -> connected(f));
                }
            });
        }

        /**
         * The TLS handler, naming {@link #serverName} if any. Netty leaves out a name the JDK's
         * SNIHostName refuses (an underscore): BoringSSL's engine is given it itself, before the
         * handshake starts.
         */
        private SslHandler handler() {
            if (serverName == null) {
                return ssl.newHandler(channel.alloc());
            }
            SslHandler h = ssl.newHandler(channel.alloc(), serverName, target.port());
            if (serverName.indexOf('_') >= 0 && h.engine() instanceof ReferenceCountedOpenSslEngine e) {
                synchronized (e) {
                    if (e.sslPointer() != 0) {
                        SSL.setTlsExtHostName(e.sslPointer(), serverName);
                    }
                }
            }
            return h;
        }

        private void connected(ChannelFuture f) {
            if (finished) {
                return;
            }
            if (!f.isSuccess()) {
                finish(connectFailed(f.cause()));
                return;
            }
            phase = Phase.HANDSHAKE;
            // Before the SslHandler, whose ClientHello may fail at once (a host that reset).
            raw = new TlsReadHold();
            channel.pipeline().addFirst(handler());
            channel.pipeline().addFirst(raw); // ahead of the SslHandler: it sees the raw reads
        }

        /**
         * A handshake that ended before the host sent a byte: the host closed or reset the
         * connection without an answer, as an http check says of the same host; "ssl connect
         * error" (and "tcp connect failed" for a reset) sent the operator after TLS or the
         * network (probe AF).
         */
        private CheckResult handshakeEnded(HostError otherwise, Throwable cause) {
            if (raw != null && !raw.heard()) {
                return CheckResult.down(HostError.NO_ANSWER);
            }
            // The TLS library's words ("protocol version", "wrong version number") go to the
            // log line; show hosts keeps the reason alone.
            String why = cause == null || cause.getMessage() == null ? null : TlsFailureWords.of(cause.getMessage());
            if (serverName == null && why != null && why.contains("UNRECOGNIZED_NAME")) {
                // It asked for none: "the name the check asked for" sent the operator astray (probe CH).
                why = "the server wants a server name (SNI), and the check sends one only for a host given by a name"
                        + " with a dot or a check's host (TLSV1_ALERT_UNRECOGNIZED_NAME)";
            }
            return why == null ? CheckResult.down(otherwise)
                    : CheckResult.down(otherwise, why.length() > 200 ? why.substring(0, 200) + "..." : why);
        }

        /** Handshaken: send, or decide when there is nothing to read. */
        private void ready() {
            if (validator == null) {
                finish(CheckResult.up(HostError.SSL_CONNECT_OK));
                return;
            }
            phase = Phase.READ;
            received = channel.alloc().heapBuffer(256);
            if (request != null) {
                channel.writeAndFlush(Unpooled.wrappedBuffer(request)).addListener(w -> {
                    if (!w.isSuccess()) {
                        finish(CheckResult.down(HostError.SSL_WRITE_ERROR));
                    }
                });
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof SslHandshakeCompletionEvent e && !finished) {
                if (e.isSuccess()) {
                    ready();
                } else {
                    log.debug("{}: ssl handshake: {}", target, e.cause().getMessage());
                    finish(handshakeEnded(HostError.SSL_CONNECT_ERROR, e.cause()));
                }
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (finished || phase != Phase.READ || !(msg instanceof ByteBuf b)) {
                    return;
                }
                if (received.readableBytes() + b.readableBytes() > validator.maxBytes()) {
                    finish(CheckResult.down(HostError.RESPONSE_TOO_LARGE));
                    return;
                }
                received.writeBytes(b);
                CheckResult r = validator.onRead(received);
                if (r != null) {
                    finish(r);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (finished) {
                return;
            }
            if (phase == Phase.READ) {
                finish(received.isReadable() ? validator.onEof(received) : CheckResult.down(HostError.NO_ANSWER));
            } else if (phase == Phase.HANDSHAKE) {
                finish(handshakeEnded(HostError.SSL_CONNECT_FAIL, null));
            }
            // CONNECT: the connect listener reports the failure.
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (finished) {
                return;
            }
            // Netty's decoder wraps the TLS library's exception, whose class name its text began with.
            Throwable inner = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                    ? cause.getCause() : cause;
            String words = inner.getMessage() == null ? null : TlsFailureWords.of(inner.getMessage());
            log.debug("{}: {}", target, words);
            if (phase == Phase.HANDSHAKE) {
                finish(handshakeEnded(HostError.SSL_CONNECT_ERROR, inner));
            } else if (phase == Phase.READ) {
                // A reset before any answer (a host that closed with the request unread) is
                // what a plain check calls it; a TLS failure stays a read error, with its words:
                // a TLS 1.3 server refuses a client without a certificate after the handshake
                // (probe CA: only "ssl read error").
                boolean tls = inner instanceof javax.net.ssl.SSLException;
                boolean reset = inner instanceof IOException && !tls;
                finish(reset && !received.isReadable() ? CheckResult.down(HostError.NO_ANSWER)
                        : tls && words != null ? CheckResult.down(HostError.SSL_READ_ERROR, words)
                        : CheckResult.down(HostError.SSL_READ_ERROR));
            }
        }

        private void deadline() {
            if (phase != Phase.CONNECT) {
                readWaiting();
                if (finished || !channel.isActive()) {
                    return; // decided, or closed: channelInactive judges, next on the loop
                }
            }
            if (lag.grantAgain(false)) {
                timer = loop.schedule(this::deadline, lag.timeoutNanos(), TimeUnit.NANOSECONDS);
                return;
            }
            if (phase == Phase.READ && validator != null) {
                finish(validator.readTimeout(HostError.SSL_READ_TIMEOUT));
                return;
            }
            finish(CheckResult.down(switch (phase) {
                case CONNECT -> HostError.TCP_CONNECT_TIMEOUT;
                case HANDSHAKE -> HostError.SSL_CONNECT_TIMEOUT;
                case READ -> HostError.SSL_READ_TIMEOUT;
            }));
        }

        /**
         * Reads now, through Netty's own read path and the pipeline, what waits in the socket: a
         * held trickle's last bytes, or an answer the loop has not served yet. The channel is the
         * epoll loop's handle, whose read needs no registration.
         */
        private void readWaiting() {
            if (channel.isActive() && channel.unsafe() instanceof EpollIoHandle h) {
                try {
                    h.handle(null, READABLE);
                } catch (RuntimeException e) {
                    // A Netty whose handle wants its registration after all: judge without the
                    // read rather than leave the check undecided.
                    log.error("{}: cannot read what waits at the deadline: {}", target, e.toString());
                }
            }
        }

        private CheckResult connectFailed(Throwable cause) {
            Throwable c = cause instanceof io.netty.channel.ChannelException && cause.getCause() != null
                    ? cause.getCause() : cause;
            int errno = c instanceof IOException io ? CheckSocket.errno(io) : 0;
            if (CheckSocket.overload(errno)) {
                return CheckResult.OVERLOAD;
            }
            if (errno == CheckSocket.ECONNRESET) {
                return CheckResult.down(HostError.NO_ANSWER); // accepted, then reset: as a plain check says
            }
            return CheckResult.down(CheckSocket.connectFailure(errno));
        }

        private void finish(CheckResult r) {
            if (finished) {
                return;
            }
            finished = true;
            timer.cancel(false);
            if (received != null) {
                received.release();
            }
            if (channel != null) {
                channel.close();
            }
            done.accept(r);
        }
    }
}
