package org.hoststated.relay.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.epoll.EpollDirectSend;
import io.netty.channel.unix.UnixChannel;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.RejectedExecutionException;
import org.hoststated.core.posix.PendingInput;
import org.hoststated.core.proc.EpollLoops;
import org.hoststated.relay.ReceiveRing;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.handler.PausedReads;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;
import org.hoststated.relay.lb.Failover;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend connection of one HTTP relay session: connects it on the client's worker loop
 * (retrying the next host when a connect fails, as relayd's {@code retry}) or takes an idle one
 * from the loop's {@link IdleBackends}, holds what the session writes until the connection is
 * up, and at the end parks the connection for the next session ({@link #release}) or closes it.
 * At most one connection at a time; the session replaces it when a request goes to another
 * host. Owned by {@link HttpFrontendHandler}, on the session's worker loop.
 *
 * <p>A request sent over a reused connection may cross the server's close of that idle
 * connection. For such a request (no body, idempotent method) the link keeps a reference to
 * each buffer it wrote (and where its bytes started: a partial write moves that) until the
 * response's first byte, so the session can resend it over a fresh connection
 * ({@link #replayOnFreshConnection}) instead of answering 502.
 *
 * <p>An idle connection that carries another request (taken from the pool, or the session's own
 * between exchanges: keep-alive, pipelined) is not written at once ({@link #vet}): the worker
 * loop may hold, in the batch of I/O events it is handling, bytes the server sent on it while
 * it was idle (a late loop sees a client's request and such bytes together). Those answer
 * nothing, but read after the request went out they would pass for its response, and every
 * later response on the connection for the one before it.
 */
final class BackendLink {
    private static final Logger log = LoggerFactory.getLogger(BackendLink.class);

    private final RelayContext relay;
    private final HttpFrontendHandler session;
    private final BackendPool pool;
    private IdleBackends idle;
    private Channel channel;
    private HttpBackendHandler handler;
    private TargetHost host;
    private boolean connected;
    /** Where the exchange's connect goes once it failed; null before. */
    private Failover failover;
    private ArrayDeque<ByteBuf> pending;
    /**
     * The client's bytes in {@link #pending} not yet counted as relayed: counted when they go
     * out, so a session whose connect never completed says 0 bytes to the server, not what its
     * client had sent. A replay's bytes were counted when first sent.
     */
    private long pendingUncounted;
    private boolean wrote;
    /** What was written of the request in flight, kept until its response starts, and the
     *  reader index each buffer had then; {@link #recorded} of them. */
    private ByteBuf[] replay;
    private int[] replayFrom;
    private int recorded;
    private boolean recording;

    BackendLink(RelayContext relay, HttpFrontendHandler session, BackendPool pool) {
        this.relay = relay;
        this.session = session;
        this.pool = pool;
    }

    /** Whether a connection exists (connected or connecting). */
    boolean open() {
        return channel != null;
    }

    boolean connected() {
        return connected;
    }

    /** The backend channel, or null. */
    Channel channel() {
        return channel;
    }

    /** The response reader of the current connection, or null. */
    HttpBackendHandler handler() {
        return handler;
    }

    /** Whether {@code h} reads the current connection (events from older ones are stale). */
    boolean current(HttpBackendHandler h) {
        return h != null && h == handler;
    }

    /** The current connection carries its client's authentication ({@link HttpBackendHandler#boundToClient}). */
    boolean boundToClient() {
        return handler != null && handler.boundToClient();
    }

    /** The host of the current or last connection, or null. */
    TargetHost host() {
        return host;
    }

    /** Whether the connection is up (or on trial for a moment) and can take more bytes now. */
    boolean writable() {
        return (connected || onTrial()) && channel.isWritable();
    }

    /**
     * Whether the idle connection waits for its vetting ({@link #vet}), within the loop's current
     * batch: the client may be read meanwhile (what it sends waits in {@link #pending}, a
     * batch's worth at most), unlike during a connect, which can take long.
     */
    private boolean onTrial() {
        return handler != null && handler.vetting();
    }

    /**
     * Connects to {@code to}, or with {@code mayReuse} takes an idle connection to it, after
     * releasing the current connection (which must be idle between exchanges).
     */
    void connect(TargetHost to, boolean mayReuse) {
        release();
        host = to;
        failover = null;
        HttpBackendHandler h = mayReuse && pool.enabled() ? idle().take(to) : null;
        if (h == null) {
            connect();
            return;
        }
        h.attach(session);
        handler = h;
        channel = h.channel();
        session.connecting(host);
        putOnTrial(true);
    }

    /**
     * The session's own connection, idle between exchanges, carries the next request
     * (keep-alive or pipelined): it waits for the rest of the loop's batch, as one taken from
     * the pool, but is not peeked. The peek is a system call per request (about a tenth of the
     * relay's CPU per keep-alive request); what it would add here is only bytes that reached
     * the socket while the loop handled its batch, and a connection that stays with its session
     * hands any shift to that session's own later requests. The pool, where a shifted
     * connection would reach another client, peeks.
     */
    void reuse() {
        if (connected) {
            putOnTrial(false);
        }
    }

    /**
     * What the session writes waits, as for a connect, until the idle connection is vetted.
     * After a late joiner's first read on epoll, where the loop has no batch of events in hand,
     * the vetting runs before the loop polls again, not as a task, which made it poll once more
     * without waiting ({@link EpollLoops#afterEventsInHand}).
     */
    private void putOnTrial(boolean peek) {
        HttpBackendHandler h = handler;
        h.onTrial();
        connected = false;
        try {
            EpollLoops.afterEventsInHand(channel.eventLoop(), () -> vet(h, peek));
        } catch (RejectedExecutionException e) {
            // The engine is shutting down and closes the session itself.
        }
    }

    /**
     * Runs once the loop has handled the I/O events it had when {@code h}'s idle connection was
     * taken for a request: one that got bytes, a FIN or a reset meanwhile has been found stale
     * by its handler then (and the session moved to a fresh connection). What came since waits
     * in the socket: with {@code peek}, a peek (which consumes nothing) tells. Only then is the
     * connection used.
     */
    private void vet(HttpBackendHandler h, boolean peek) {
        if (h != handler || !h.vetting()) {
            // Found stale already, or the session ended.
            return;
        }
        PendingInput.State input = !channel.isActive() ? PendingInput.State.EOF
                : peek ? unread(channel) : PendingInput.State.NONE;
        if (input != PendingInput.State.NONE) {
            log.debug("relay {}: idle connection to {} stale ({}), connecting afresh", relay.name(), host, input);
            session.idleConnectionStale(h);
            return;
        }
        h.vetted();
        up();
    }

    /** What the socket under {@code ch} holds unread (none for a channel that is not a socket's). */
    private static PendingInput.State unread(Channel ch) {
        return ch instanceof UnixChannel u ? PendingInput.of(u.fd().intValue()) : PendingInput.State.NONE;
    }

    /**
     * The idle connection on trial is stale: it is closed, and what the session wrote for
     * it (held until now) goes over a fresh connection to the same host.
     */
    void replaceStale() {
        HttpBackendHandler old = handler;
        Channel stale = channel;
        old.drop();
        // A new chain of tries: the last exchange's, spent, made a refused connect here a 502
        // without a try of another host (review CC).
        failover = null;
        connect();
        old.moveExpectationTo(handler);
        stale.close();
    }

    private IdleBackends idle() {
        if (idle == null) {
            idle = pool.of(session.client().eventLoop());
        }
        return idle;
    }

    /** Whether the current connection carried an exchange before this one. */
    boolean reused() {
        return connected && handler.reused();
    }

    /** Keeps what is written from now on until {@link #responseBegan}, to resend it if need be. */
    void recordForReplay() {
        dropReplay();
        recording = true;
    }

    /** The response's first byte arrived: the request cannot be resent any more. */
    void responseBegan() {
        dropReplay();
    }

    /**
     * Resends the recorded request over a new connection; false when nothing was recorded, or
     * when a fresh connection was lost and no other host may take it (the caller answers with
     * an error instead). A reused connection that the server closed
     * (FIN) was most likely closed as idle just as the request went out: the request goes to
     * the same host, which keeps the table's choice, and stays recorded, since a fresh
     * connection lost too tells that the server itself fails (one that accepts and closes
     * every connection while its check passes): it is then resent once more, like after a
     * reset or a fresh connection lost at once, to the next host that may get sessions, if
     * there is one (a fast shutdown resets every connection). So a request is sent at most
     * three times, and to at most two hosts.
     *
     * @param reset the server reset the connection instead of closing it
     */
    boolean replayOnFreshConnection(boolean reset) {
        return replay(reset, "connection " + (reset ? "reset" : "closed") + " before the response");
    }

    /**
     * Resends the recorded request to the next host that may get sessions, as after a reset
     * ({@link #replayOnFreshConnection}); {@code why} the current host is left, for the close line.
     */
    boolean replayOnNextHost(String why) {
        return replay(true, why);
    }

    private boolean replay(boolean reset, String why) {
        if (!recording || recorded == 0) {
            return false;
        }
        HttpBackendHandler old = handler;
        boolean idleRace = !reset && old.reused();
        TargetHost next = idleRace || host.natLookup() ? null : relay.selector().failover(host).next();
        boolean otherHost = next != null && !next.equals(host);
        if (!otherHost && !old.reused()) {
            // A fresh connection lost under the request: the server failed on this request
            // itself (one that kills its worker), so it is not sent there again; with one host
            // (forward to), the server ran a GET twice (probe AM; HAProxy answers 502 too).
            return false;
        }
        recording = idleRace;
        if (otherHost) {
            session.movedOff(host + ": " + why);
            host = next;
        } else {
            session.resent(host + ": " + why);
        }
        Channel lost = channel;
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        for (int i = 0; i < recorded; i++) {
            ByteBuf b = replay[i].readerIndex(replayFrom[i]);
            // Counted again when it goes out: the close line's bytes are those sent.
            pendingUncounted += b.readableBytes();
            if (idleRace) {
                // The write releases its reference; the record keeps its own.
                pending.add(b.retain());
            } else {
                pending.add(b);
                replay[i] = null;
            }
        }
        if (!idleRace) {
            recorded = 0;
        }
        failover = null;
        session.requestResent();
        connect();
        old.moveExpectationTo(handler);
        // Closed once replaced (see close): what its close raises belongs to no session.
        lost.close();
        return true;
    }

    private void dropReplay() {
        recording = false;
        for (int i = 0; i < recorded; i++) {
            replay[i].release();
            replay[i] = null;
        }
        recorded = 0;
    }

    private void connect() {
        handler = new HttpBackendHandler(session);
        Channel client = session.client();
        Bootstrap b = relay.backend(host.address()).clone(client.eventLoop()).handler(handler);
        connected = false;
        ChannelFuture f = b.connect(host.address());
        channel = f.channel();
        session.connecting(host);
        if (!host.natLookup()) {
            relay.selector().connecting(f, host);
        }
        // Later, even for a connect failed at once: the caller moves the request's expectation
        // to the new handler (or reads it) after this returns.
        RelaySession.whenConnected(f, client.eventLoop(), this::connectDone);
    }

    private void connectDone(ChannelFuture f) {
        if (f.channel() != channel) {
            return;
        }
        if (!session.client().isActive()) {
            close();
            return;
        }
        if (!f.isSuccess()) {
            connectFailed(f.cause());
            return;
        }
        up();
    }

    /** The connection may carry the session's bytes: what waited goes out. */
    private void up() {
        connected = true;
        if (pending != null) {
            sendPending();
        }
        session.relayedToServer(pendingUncounted);
        pendingUncounted = 0;
        session.backendConnected();
    }

    /**
     * Sends what waited for the connection. One or two buffers (a request's head, and the body
     * that came with it) go straight to the socket when nothing is queued there
     * ({@link EpollDirectSend}, epoll only), in one system call, past Netty's outbound buffer;
     * the rest, and what the socket did not take, through Netty.
     */
    private void sendPending() {
        ArrayDeque<ByteBuf> q = pending;
        pending = null;
        int n = q.size();
        if (n == 1 ? EpollDirectSend.sent(channel, q.peekFirst())
                : n == 2 && EpollDirectSend.sent(channel, q.peekFirst(), q.peekLast())) {
            return;
        }
        for (ByteBuf m; (m = q.poll()) != null; ) {
            if (m.isReadable()) {
                channel.write(m, channel.voidPromise());
            } else {
                m.release(); // sent already
            }
        }
        channel.flush();
    }

    private void connectFailed(Throwable cause) {
        String why = host + ": " + RelaySession.describeConnectFailure(cause);
        if (failover == null) {
            failover = relay.selector().failover(host);
        }
        TargetHost next = failover.next(host, cause);
        if (next != null) {
            log.debug("relay {}: connect to {}, retrying with {}", relay.name(), why, next);
            if (!next.equals(host)) {
                session.movedOff(why);
            } else {
                session.retried(why);
            }
            long wait = failover.waitMillis(next, host);
            host = next;
            if (wait == 0) {
                reconnect();
            } else {
                // The failed connection stands for the connect meanwhile: the link is open and
                // not connected, so what the client sends waits in pending, as during a connect.
                Channel failed = channel;
                session.client().eventLoop().schedule(() -> {
                    if (channel == failed && session.client().isActive()) {
                        reconnect();
                    }
                }, wait, TimeUnit.MILLISECONDS);
            }
            return;
        }
        channel = null;
        handler = null;
        relay.counters().unserved(session.client().eventLoop(), SessionInfo.logName(relay.name()), "connect to " + why);
        if (cause instanceof java.util.concurrent.CancellationException
                && relay.selector().hosts().usableCount() == 0) {
            // Abandoned as the last host went down: no host is up, as for the next request
            // (probe AI: a 502 or a 503 by a few milliseconds of timing).
            session.fail(new HttpException(503, "connect to " + why + "; " + RelaySession.noHostReason(relay.config())));
            return;
        }
        // The client's page does not name the host: the relay's hosts are the operator's business.
        boolean timeout = cause instanceof ConnectTimeoutException;
        session.fail(new HttpException(timeout ? 504 : 502, "connect to " + why,
                timeout ? "connect to the server timed out" : "connect to the server failed"));
    }

    /** Connects again for the exchange whose connect failed, which keeps its expectation. */
    private void reconnect() {
        HttpBackendHandler old = handler;
        connect();
        old.moveExpectationTo(handler);
    }

    /** Sends {@code b}, the client's, once connected; counted as relayed when it goes out. */
    void write(ByteBuf b) {
        if (connected) {
            if (recording) {
                record(b);
            }
            session.relayedToServer(b.readableBytes());
            queue(b);
        } else {
            if (pending == null) {
                pending = new ArrayDeque<>(4);
            }
            pendingUncounted += b.readableBytes();
            ByteBuf held = ReceiveRing.held(b, session.client().alloc());
            if (recording) {
                record(held);
            }
            pending.add(held);
        }
    }

    private void queue(ByteBuf b) {
        channel.write(ReceiveRing.forQueue(b, channel), channel.voidPromise());
        wrote = true;
    }

    private void record(ByteBuf b) {
        if (replay == null) {
            replay = new ByteBuf[4];
            replayFrom = new int[4];
        } else if (recorded == replay.length) {
            replay = Arrays.copyOf(replay, recorded * 2);
            replayFrom = Arrays.copyOf(replayFrom, recorded * 2);
        }
        replay[recorded] = b.retain();
        replayFrom[recorded++] = b.readerIndex();
    }

    /** Flushes what {@link #write} queued since the last flush. */
    void flush() {
        if (wrote) {
            wrote = false;
            channel.flush();
        }
    }

    /** Reads the server while {@code yes} (the client can take more), unless it sent FIN. */
    void read(boolean yes) {
        if (connected && !handler.inputClosed()) {
            PausedReads.set(channel, yes);
        }
    }

    /** Sends FIN to the server once queued bytes are written (a tunnel's half-close). */
    void shutdownOutputOnFlush() {
        if (connected) {
            RelaySession.shutdownOutputOnFlush(channel);
        }
    }

    /**
     * Closes the connection once queued bytes are written (the end of a tunnel), or resets it
     * if the server has not taken them within the relay's {@code timeout}: the session's timer
     * ends with its client, and a server that reads nothing never lets the flush end, which
     * kept the connection, a descriptor and its kernel send buffer for ever.
     */
    void closeOnFlush() {
        if (channel != null) {
            RelaySession.closeOnFlushWithin(channel, relay);
        }
        forget();
    }

    /** The server closed an idle connection: forget it, the next request reconnects. */
    void forget() {
        channel = null;
        handler = null;
        connected = false;
        // Nothing is left to flush: the connection was flushed on its way out (closeOnFlush),
        // or closed. The end of the read that forgot it (a tunnel's last bytes and the
        // client's FIN in one read, on io_uring) must not flush a connection no longer there.
        wrote = false;
        releasePending();
        dropReplay();
    }

    void close() {
        Channel ch = channel;
        // Forgotten first: the close fails the writes still queued on the connection (a
        // request body cut short by its own fault), and the exceptionCaught that raises at once
        // must find an old connection, not fail the session again with the close's exception.
        forget();
        if (ch != null) {
            ch.close();
        }
    }

    /**
     * Resets the connection now, dropping what is queued on it: the request it carries was
     * cut by its client, and a FIN would end it as if it were whole.
     */
    void abort() {
        Channel ch = channel;
        forget(); // first, as in close
        if (ch != null) {
            RelaySession.abort(ch);
        }
    }

    /**
     * The session is done with the connection, between exchanges: parks it in the loop's pool
     * when the server may take another request on it and it is no client's own
     * ({@link HttpBackendHandler#boundToClient}), else closes it.
     */
    void release() {
        if (channel == null) {
            return;
        }
        HttpBackendHandler h = handler;
        if (connected && pool.enabled() && h.reusable() && !h.boundToClient() && pending(channel) == 0
                && idle().park(host, h, session.lastActivityNanos())) {
            // Response bytes this connection forwarded may still wait for a flush.
            session.client().flush();
            forget();
        } else {
            finish();
        }
    }

    /**
     * The request on the connection is whole, and nothing more goes on it: closes it once what
     * is queued for it is written (within the relay's timeout, {@link #closeOnFlush}), at
     * once when nothing is. Closed at once, the end of an upload the server had answered
     * early was dropped, the server read a cut body, and the client had its 200 (review CC).
     */
    void finish() {
        if (channel != null && connected && pending(channel) > 0) {
            closeOnFlush();
        } else {
            close();
        }
    }

    private static long pending(Channel ch) {
        io.netty.channel.ChannelOutboundBuffer b = ch.unsafe().outboundBuffer();
        return b == null ? 0 : b.totalPendingWriteBytes();
    }

    private void releasePending() {
        pendingUncounted = 0;
        if (pending != null) {
            for (ByteBuf m; (m = pending.poll()) != null; ) {
                m.release();
            }
        }
    }
}
