package org.hoststated.relay.udp;

import io.netty.buffer.ByteBuf;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.relay.SocketOptions;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;
import org.hoststated.relay.lb.Failover;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code protocol dns} relay: takes DNS queries on the UDP socket the parent passed, forwards
 * each to a host of the relay's target under a new unpredictable query id, and sends the answer
 * back to the client with the client's id restored. An answer is accepted only from the host
 * the query went to, on the socket it left by, under the id the relay gave it, and to the
 * query's question; anything else is dropped. A query waits for its answer at most the relay's
 * {@code timeout}, capped at {@link #MAX_WAIT_MS} (a resolver asks again after 5 s: a later
 * answer finds nobody waiting).
 *
 * <p>Each query is one session of the relay's counters (as the original's). Everything runs on
 * one worker loop: the listener's, where the sockets towards the backends are registered too,
 * so no state is shared between threads. The sockets towards the backends are replaced every
 * {@link #ROTATE_AFTER} queries, and a second after the first query that used one, so their
 * source port changes as a per-query socket's would, without a socket per query: by count
 * alone, a relay of little traffic sent from one port for hours, and a forger who had learnt
 * it (a query of its own through the relay) had only the 16 bits of the id left to guess.
 */
public final class DnsRelay {
    private static final Logger log = LoggerFactory.getLogger(DnsRelay.class);
    static final int MAX_WAIT_MS = RelayConfig.DNS_MAX_WAIT_SEC * 1000;
    static final int ROTATE_AFTER = 4_096;
    private static final long ROTATE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** Queries waiting at once per relay, over all its sockets; more are dropped. */
    static final int MAX_WAITING = 65_536;
    private static final long SPARE_RETRY_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** The largest UDP payload an IPv4 datagram carries (65535 less its 20 and 8 bytes of headers). */
    private static final int MAX_IPV4_PAYLOAD = 65_507;
    /**
     * How much a socket of the relay may have queued for the kernel before the datagrams meant
     * for it are dropped: what the kernel refused while the way out is congested (a full send
     * buffer), or, on io_uring, what one turn of the loop wrote. The high mark holds a turn's
     * reads of the largest answers (16 of 64 KiB). Unbounded, a flood towards a congested link
     * queued without end, each datagram in its 64 KiB receive buffer: the engine's direct
     * memory ran out within seconds and its worker loop died, taking every relay on it along.
     */
    static final WriteBufferWaterMark QUEUE_MARK = new WriteBufferWaterMark(512 * 1024, 1024 * 1024);

    private final RelayContext relay;
    private final TcpOptions options;
    private final String transport;
    private final long waitMs;
    private final int rotateAfter;
    private final int maxWaiting;
    /** Queries dropped at {@link #maxWaiting}. */
    private final ThrottledCount droppedAtLimit = new ThrottledCount();
    /** Sockets towards the backends that could not be opened. */
    private final ThrottledCount openFailures = new ThrottledCount();
    private final QueryIds ids = new QueryIds();
    private final List<UpstreamSocket> upstreams = new ArrayList<>();
    /** The queries waiting, for {@code show sessions} (read from the engine's loop). */
    private final Set<PendingQuery> live = ConcurrentHashMap.newKeySet();
    private EventLoop loop;
    private Channel listener;
    private UpstreamSocket current;
    private UpstreamSocket spare;
    private int waiting;
    /** The latest answer dropped, its sender and why, named by the warning of them; on the loop. */
    private InetSocketAddress latestDroppedFrom;
    private String latestDroppedWhy;
    /** The two warnings of floods (dropped at the limit, stray answers): made once, not per datagram. */
    private final LongConsumer warnAtLimit;
    private final LongConsumer warnDropped;
    private boolean upstreamWritten;
    private boolean stopped;
    /** Replaced by a reload: reads no more queries, closes its listener once none waits. */
    private boolean retiring;
    /** The write of the latest answer to a client: a retired listener closes after it. */
    private ChannelFuture lastAnswer;
    private long lastOpenNanos;

    /**
     * @param relay the relay's configuration, host selector and counters
     * @param options the protocol's {@code tcp} options: {@code socket buffer} (or 4 MiB to
     *     receive) applies to every socket of the relay, {@code ip ttl} and {@code ip minttl}
     *     to the listening one (Linux checks the latter on TCP only: warned of, see
     *     {@link SocketOptions#unsupported})
     * @param transport the relay engine's transport name ("io_uring" or "epoll")
     */
    public DnsRelay(RelayContext relay, TcpOptions options, String transport) {
        this(relay, options, transport, ROTATE_AFTER, MAX_WAITING);
    }

    DnsRelay(RelayContext relay, TcpOptions options, String transport, int rotateAfter) {
        this(relay, options, transport, rotateAfter, MAX_WAITING);
    }

    DnsRelay(RelayContext relay, TcpOptions options, String transport, int rotateAfter, int maxWaiting) {
        if (relay.config().listen().ssl()) {
            // As relayd: DNS over UDP has no TLS; serving it in clear would hide the mistake.
            throw new IllegalArgumentException("relay " + relay.name() + ": ssl over udp (protocol dns) is not supported");
        }
        this.relay = relay;
        this.options = options;
        this.transport = transport;
        int t = relay.config().timeoutSec();
        this.waitMs = t > 0 ? Math.min(MAX_WAIT_MS, t * 1000L) : MAX_WAIT_MS;
        this.rotateAfter = rotateAfter;
        this.maxWaiting = maxWaiting;
        this.warnAtLimit = n -> log.warn("relay {}: {} queries waiting, the relay's limit: new queries are dropped ({} "
                + "since the last such warning)", relay.name(), maxWaiting, n);
        this.warnDropped = n -> log.warn("relay {}: answer from {} dropped: {} ({} since the last such warning)",
                relay.name(), SessionInfo.address(latestDroppedFrom), latestDroppedWhy, n);
    }

    /**
     * Starts serving {@code fd}, a bound, non-blocking UDP socket, on one of {@code workers};
     * this relay owns the descriptor from now on. The future completes when the listener is
     * registered; closing its channel stops the relay and ends the queries in flight.
     */
    public ChannelFuture serve(int fd, EventLoopGroup workers) {
        if (loop == null) {
            loop = workers.next();
        }
        boolean[] adopted = new boolean[1];
        Bootstrap b = bootstrap(() -> {
            DatagramChannel c = DatagramChannels.adopt(transport, fd);
            adopted[0] = true;
            return c;
        }, false);
        SocketOptions.listenerTtl(b, options, relay.config().listen().address());
        // Reading starts once a socket towards the backends is bound (see startUpstreams).
        b.option(ChannelOption.AUTO_READ, false);
        ChannelFuture f = b.handler(new QueryHandler()).register();
        if (!adopted[0]) {
            closeQuietly(fd);
        }
        Channel ch = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                return;
            }
            // On the loop from here. A second descriptor for the same socket (RelayServer
            // closes the older channel) takes over the answers; only the current one's close
            // stops the relay.
            listener = ch;
            ch.closeFuture().addListener(c -> {
                if (listener == ch) {
                    stop();
                }
            });
            if (current == null) {
                startUpstreams();
            } else {
                ch.config().setAutoRead(true);
            }
        });
        return f;
    }

    /** Opens the first sockets towards the backends, then lets the listener read. */
    private void startUpstreams() {
        if (stopped) {
            return;
        }
        current = openUpstream(bound -> {
            if (bound) {
                spare = openUpstream(b -> { });
                listener.config().setAutoRead(true);
            } else {
                loop.schedule(this::startUpstreams, 1, TimeUnit.SECONDS);
            }
        });
    }

    /**
     * A socket towards the backends could not be opened ({@code why}): tried again once a
     * second while queries flow, so said at most once a minute, with the count since the last
     * time. Each try was a warning: a line a second for as long as descriptors ran short.
     */
    private void openFailed(String why) {
        log.debug("relay {}: cannot open a udp socket towards the backends: {}", relay.name(), why);
        openFailures.add(loop, n -> log.warn("relay {}: cannot open a udp socket towards the backends: {} ({} since "
                + "the last such warning)", relay.name(), why, n));
    }

    /** A new socket towards the backends; {@code bound} hears whether it could be bound. */
    private UpstreamSocket openUpstream(Consumer<Boolean> bound) {
        lastOpenNanos = System.nanoTime();
        Bootstrap towardsHosts = bootstrap(() -> DatagramChannels.open(transport), true);
        SocketOptions.upstreamTtl(towardsHosts, options);
        ChannelFuture f = towardsHosts.handler(new ChannelInboundHandlerAdapter()).bind(new InetSocketAddress(0));
        UpstreamSocket u = new UpstreamSocket(f.channel());
        f.channel().pipeline().addLast(new AnswerHandler(u));
        f.addListener(b -> {
            if (!b.isSuccess()) {
                // On Netty's global executor when the socket could not be created: counted on the loop.
                String why = reason(b.cause());
                try {
                    loop.execute(() -> {
                        // A socket closed before its bind: the relay stops (a reload that changed
                        // prefork), which is no failure to open; it was warned of by the class
                        // name of Netty's exception (probe AP).
                        if (!stopped && !(b.cause() instanceof java.nio.channels.ClosedChannelException)) {
                            openFailed(why);
                        }
                    });
                } catch (java.util.concurrent.RejectedExecutionException stopping) {
                    // The relay's loop has ended with it: nothing to say.
                }
            }
            bound.accept(b.isSuccess());
        });
        if (f.channel().isOpen()) {
            // Not when the socket could not even be created (no descriptor free): Netty then
            // returns a stand-in channel that never closes, and each try, once a second, was
            // kept for good and flushed after every read.
            upstreams.add(u);
            f.channel().closeFuture().addListener(c -> upstreams.remove(u));
        }
        return u;
    }

    /**
     * Why a socket could not be made, in words: Netty's "ChannelException:
     * ...NativeIoException: newSocketDgram(..) failed with error(-24): Too many open files" is
     * "Too many open files". With JDK classes only: no descriptor may be free to load a class.
     */
    private static String reason(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage();
        if (m == null || m.isEmpty()) {
            return t.getClass().getSimpleName();
        }
        int at = m.indexOf("): ");
        return m.contains("(..) failed") && at >= 0 ? m.substring(at + 3) : m;
    }

    /**
     * {@code receive}: the socket's receive buffer is set here, as far as
     * {@code net.core.rmem_max} allows (the listener's was set by the parent, beyond it).
     */
    private Bootstrap bootstrap(ChannelFactory<DatagramChannel> channels, boolean receive) {
        Bootstrap b = new Bootstrap().group(loop).channelFactory(channels)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, QUEUE_MARK);
        if (receive) {
            b.option(ChannelOption.SO_RCVBUF, options.udpReceiveBuffer());
        }
        if (options.socketBuffer() > 0) {
            b.option(ChannelOption.SO_SNDBUF, options.socketBuffer());
        }
        return b;
    }

    /**
     * The socket the next query leaves by, opening a fresh one every {@code rotateAfter}
     * queries and every second while queries flow.
     */
    private UpstreamSocket upstream() {
        if (stopped || current == null) {
            return null;
        }
        long now = System.nanoTime();
        boolean old = current.forwarded() >= rotateAfter || current.servedLongerThan(ROTATE_EVERY_NANOS, now);
        if (old || !current.ready()) {
            // No spare while the first socket could not be bound yet (startUpstreams tries again).
            if (spare != null && spare.ready()) {
                current.retire();
                current = spare;
                spare = openUpstream(b -> { });
            } else if (spare != null && !spare.channel.isOpen() && now - lastOpenNanos > SPARE_RETRY_NANOS) {
                // The spare could not be bound (out of descriptors?): try again, once a second.
                spare = openUpstream(b -> { });
            }
        }
        return current.ready() ? current : null;
    }

    private void query(Channel from, DatagramPacket p) {
        ByteBuf msg = p.content();
        InetSocketAddress client = p.sender();
        if (relay.config().disabled()) {
            relay.counters().refusedWhileDisabled().add(loop, n -> log.info(
                    "relay {}: disabled in the configuration: {} dropped since the last such line",
                    SessionInfo.logName(relay.name()), n == 1 ? "1 query" : n + " queries"));
            return;
        }
        String junk = !DnsHeader.fits(msg) ? "short datagram" : DnsHeader.isResponse(msg) ? "not a query"
                : !DnsHeader.udpOpcode(msg) ? "not a DNS opcode over UDP" : DnsHeader.severalQuestions(msg) ? "query of several questions"
                : DnsQuestion.malformed(msg) ? "query with a malformed question" : null;
        if (junk != null) {
            log.debug("relay {}: {} from {} dropped", relay.name(), junk, SessionInfo.address(client));
            return;
        }
        // Counted over the relay's generations: for the seconds after a reload the queries of
        // the one before still wait, and this one's count alone let twice the limit wait.
        long active = relay.counters().active();
        if (active >= maxWaiting) {
            log.debug("relay {}: {} queries waiting, query from {} dropped", relay.name(), active,
                    SessionInfo.address(client));
            warnAtLimit();
            return;
        }
        TargetHost host = relay.selector().select(client, (InetSocketAddress) from.localAddress());
        UpstreamSocket u = host == null ? null : upstream();
        if (u == null || !u.channel.isWritable()) {
            // Logged as a session's end is, so that "log all" shows why clients got no answer.
            String why = host == null ? "no host available"
                    : u == null ? "no socket towards the backends" : "queue towards the backends full";
            if (relay.logSessions()) {
                log.info("relay {}: {}, query from {} dropped", relay.name(), why, SessionInfo.address(client));
            } else {
                log.debug("relay {}: {}, query from {} dropped", relay.name(), why, SessionInfo.address(client));
            }
            return;
        }
        PendingQuery q = new PendingQuery(relay.counters().opened(), client, DnsHeader.id(msg), DnsQuestion.of(msg),
                host, System.nanoTime(), msg.readableBytes());
        int id = u.add(q, ids);
        waiting++;
        live.add(q);
        q.timeout = loop.schedule(() -> expire(u, id), waitMs, TimeUnit.MILLISECONDS);
        DnsHeader.setId(msg, id);
        // A copy of its own size: the datagram was read into a 64 KiB buffer, which a queued
        // write would hold (and the water mark counts only the datagram's bytes).
        send(u, id, q, msg.copy(), null);
    }

    /**
     * A query dropped because {@link #maxWaiting} queries wait (a flood, or hosts that stopped
     * answering): said at most once a minute, with the count since the last time. Each such
     * query was a debug line only, so that an operator saw the timeouts of the queries that
     * waited and nothing of the many more that never left.
     */
    private void warnAtLimit() {
        droppedAtLimit.add(loop, warnAtLimit);
    }

    /**
     * Sends a query; an immediate failure goes on to another host as a TCP relay's failed
     * connect does ({@link Failover}: once on each other host up, at most
     * {@link org.hoststated.relay.lb.HostSelector#FAILOVER_TRIES}, or the host's {@code retry}
     * if more; {@code failover} is null until a send failed). With the host's {@code retry}
     * alone, a host whose route went away lost every query sent to it until its next check,
     * while another host was up. Takes over one reference to {@code msg}; each write gets its
     * own duplicate.
     */
    private void send(UpstreamSocket u, int id, PendingQuery q, ByteBuf msg, Failover failover) {
        upstreamWritten = true;
        u.channel.write(new DatagramPacket(msg.retainedDuplicate(), q.target.address())).addListener(f -> {
            if (f.isSuccess()) {
                msg.release();
                return;
            }
            boolean tooLarge = tooLarge(q);
            String why = tooLarge ? "the query's " + q.queryBytes + " bytes do not fit in an IPv4 datagram"
                    : RelaySession.describeSendFailure(f.cause());
            Failover way = failover != null ? failover : relay.selector().failover(q.target);
            TargetHost next = u.get(id) == q ? way.next() : null;
            // A query too large for IPv4 fails so on every IPv4 host: only an IPv6 one can take
            // it (it was dropped even when the table had one up: probe Z).
            while (tooLarge && next != null && next.address().getAddress() instanceof Inet4Address) {
                next = way.next();
            }
            log.debug("relay {}, session {}: forward to {} failed: {}{}", relay.name(), q.session, q.target,
                    why, next == null ? "" : ", trying " + next);
            if (next != null) {
                q.movedOff(q.target + ": " + why);
                q.target = next;
                send(u, id, q, msg, way);
                u.channel.flush();
            } else {
                msg.release();
                end(u, id, "forward failed: " + why);
            }
        });
    }

    /**
     * Whether {@code q} is larger than any IPv4 datagram and its host an IPv4 one: an IPv6
     * client may send up to 65527 bytes, IPv4 carries 65507.
     */
    private static boolean tooLarge(PendingQuery q) {
        return q.queryBytes > MAX_IPV4_PAYLOAD && q.target.address().getAddress() instanceof Inet4Address;
    }

    private void answer(UpstreamSocket u, DatagramPacket p) {
        ByteBuf msg = p.content();
        if (!DnsHeader.fits(msg) || !DnsHeader.isResponse(msg)) {
            answerDropped(p.sender(), DnsHeader.fits(msg) ? "not an answer" : "shorter than a DNS header");
            return;
        }
        int id = DnsHeader.id(msg);
        PendingQuery q = u.get(id);
        if (q == null) {
            // Late (its query timed out), duplicate, or not the relay's.
            answerDropped(p.sender(), "its id " + id + " is no waiting query's");
            return;
        }
        if (!SameEndpoint.test(p.sender(), q.target.address())) {
            // Forged, or a host that answers from another address or port than it was asked
            // at: the query keeps waiting for its own host.
            answerDropped(p.sender(), "the query with its id went to " + SessionInfo.address(q.target.address()));
            return;
        }
        if (!DnsQuestion.matches(q.question, msg)) {
            // Most likely the late answer to an earlier query that timed out and left this id
            // free: passed on, it would answer this client's query with another's answer.
            answerDropped(p.sender(), DnsHeader.questions(msg) == 0
                    ? "it has no question to check against the query's, and no error other than NXDOMAIN"
                    : "it answers another question than the query with its id");
            return;
        }
        u.remove(id);
        if (!listener.isWritable()) {
            // The way to the clients is congested: a queued answer would wait longer than the
            // client does, and the queue would grow without end.
            closed(u, q, "answer dropped: queue towards the clients full");
            return;
        }
        DnsHeader.setId(msg, q.clientId);
        ChannelFuture sent;
        try {
            sent = listener.write(new DatagramPacket(msg.copy(), q.client));
        } catch (RuntimeException | Error e) {
            // The copy failed (direct memory exhausted). Closed all the same: a query taken
            // from its socket's table and never closed stayed listed and counted for ever,
            // kept a retired relay from closing, and its timer later ended another query of
            // its id.
            closed(u, q, "answer not sent: " + RelaySession.describe(e));
            throw e;
        }
        lastAnswer = sent;
        long left = release(u, q);
        if (relay.logSessions() || log.isDebugEnabled()) {
            // Logged once the datagram left (its flush comes at the read's end): an answer the
            // kernel refused was logged "answered" though the client never got it.
            sent.addListener(f -> logClosed(q, left, f.isSuccess() ? "answered"
                    : "answer not sent: " + RelaySession.describeSendFailure(f.cause())));
        }
        closeIfDrained();
    }

    /**
     * An answer from the backends' side that no query takes ({@code why}): a debug line each,
     * and a warning at most once a minute, with the count since the last one, as at the
     * waiting limit. Without it a backend that answers from another address or port, or under
     * ids of its own, showed only as its clients' queries timing out.
     */
    private void answerDropped(InetSocketAddress from, String why) {
        // Kept as they are, formatted only for a warning: a flood of stray answers is a datagram
        // each, and most are only counted (not logged each, even with -v: 20,000 datagrams
        // from any peer made 20,000 lines, probe AN).
        latestDroppedFrom = from;
        latestDroppedWhy = why;
        relay.counters().droppedAnswers().add(loop, warnDropped);
    }

    private void expire(UpstreamSocket u, int id) {
        PendingQuery q = u.remove(id);
        if (q != null) {
            closed(u, q, "timeout waiting for the answer");
        }
    }

    private void end(UpstreamSocket u, int id, String why) {
        PendingQuery q = u.remove(id);
        if (q != null) {
            closed(u, q, why);
        }
    }

    private void closed(UpstreamSocket u, PendingQuery q, String why) {
        logClosed(q, release(u, q), why);
        closeIfDrained();
    }

    /**
     * Ends {@code q}'s bookkeeping; returns the number of the relay's queries still waiting,
     * those of its generation before a reload included (as {@code show sessions} lists them).
     */
    private long release(UpstreamSocket u, PendingQuery q) {
        q.timeout.cancel(false);
        waiting--;
        live.remove(q);
        relay.counters().closed();
        if (u != null) {
            u.closeIfIdle();
        }
        return relay.counters().active();
    }

    private void logClosed(PendingQuery q, long left, String why) {
        if (relay.logSessions()) {
            log.info(q.closeLine(relay.name(), left, System.nanoTime(), why));
        } else if (log.isDebugEnabled()) {
            log.debug(q.closeLine(relay.name(), left, System.nanoTime(), why));
        }
    }

    /**
     * A reload replaced or removed this relay: its listener reads no more queries (the new
     * generation's descriptor for the same socket reads them), but the queries waiting get
     * their answers through it, or their timeout, as a TCP relay's sessions run to their end;
     * then it closes. A datagram the listener had already taken is still relayed. Closing the
     * listener instead dropped the queries in flight at every reload: their clients got no
     * answer and asked again after their own timeout. Callable from any thread.
     */
    public void retire() {
        if (loop == null) {
            return;
        }
        loop.execute(() -> {
            if (stopped || listener == null) {
                return;
            }
            retiring = true;
            listener.config().setAutoRead(false);
            closeIfDrained();
        });
    }

    /** Ends the relay now, queries waiting included (engine shutdown). Callable from any thread. */
    public void stopNow() {
        if (loop != null) {
            loop.execute(() -> {
                if (listener != null) {
                    listener.close();
                }
            });
        }
    }

    /** Whether queries wait for an answer; callable from any thread. */
    public boolean hasWaiting() {
        return !live.isEmpty();
    }

    private void closeIfDrained() {
        if (!retiring || waiting > 0 || listener == null) {
            return;
        }
        Channel l = listener;
        if (lastAnswer != null && !lastAnswer.isDone()) {
            // Closing now would fail the answer still queued (its flush comes at the read's end).
            l.flush();
            lastAnswer.addListener(f -> l.close());
        } else {
            l.close();
        }
    }

    /** The listener closed: close the sockets towards the backends and end waiting queries. */
    private void stop() {
        if (stopped) {
            return;
        }
        stopped = true;
        for (UpstreamSocket u : new ArrayList<>(upstreams)) {
            for (PendingQuery q : u.close()) {
                closed(null, q, "relay stopped");
            }
        }
    }

    /** Queries waiting for an answer now (tests). */
    int waiting() {
        return waiting;
    }

    /** The sockets towards the backends the relay keeps now (tests; on the loop). */
    int upstreamSockets() {
        return upstreams.size();
    }

    private static void closeQuietly(int fd) {
        try {
            new FileDescriptor(fd).close();
        } catch (IOException e) {
            log.debug("close fd {}: {}", fd, e.getMessage());
        }
    }

    /**
     * The {@code show sessions} rows of the queries waiting for an answer (the original lists a
     * DNS relay's sessions the same way), as of {@code nowNanos}; callable from any thread.
     *
     * @param loopNumber the number of the worker loop the relay runs on
     */
    public List<CtlSession> sessions(int loopNumber, long nowNanos) {
        List<CtlSession> out = new ArrayList<>();
        for (PendingQuery q : live) {
            InetSocketAddress t = q.target.address();
            long age = Math.max(0, (nowNanos - q.startNanos) / 1_000_000);
            out.add(new CtlSession(relay.config().id(), relay.config().name(), false, loopNumber, q.session, q.client.getAddress(), q.client.getPort(),
                    t.getAddress(), t.getPort(), false, age, age, q.queryBytes, 0));
        }
        return out;
    }

    /** The worker loop the relay runs on, or null before it serves. */
    public EventLoop loop() {
        return loop;
    }

    /** Client queries arriving on the listening socket. */
    private final class QueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            query(ctx.channel(), p);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            flushUpstreams();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A datagram socket stays usable after an error: the relay goes on.
            log.debug("relay {}: listener: {}", relay.name(), cause.getMessage());
        }
    }

    private void flushUpstreams() {
        if (upstreamWritten) {
            upstreamWritten = false;
            // A copy: a send failing at once (epoll) can end the last query of a retired
            // socket, whose close removes it from the list during the flush.
            for (UpstreamSocket u : List.copyOf(upstreams)) {
                u.channel.flush();
            }
        }
    }

    /** Answers arriving on one socket towards the backends. */
    private final class AnswerHandler extends SimpleChannelInboundHandler<DatagramPacket> {
        private final UpstreamSocket upstream;

        AnswerHandler(UpstreamSocket upstream) {
            this.upstream = upstream;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
            answer(upstream, p);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            listener.flush();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("relay {}: socket towards the backends: {}", relay.name(), cause.getMessage());
        }
    }
}
