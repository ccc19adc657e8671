package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;
import org.hoststated.core.msg.CtlSession;

/**
 * What {@code show sessions} says of one live session, kept on its client channel. Every
 * session of every protocol (tcp, http) opens one with {@link #open} when its client channel
 * becomes active; the relay engine lists them from {@link RelayContext#sessions()}.
 *
 * <p>Written on the session's worker loop, read by the engine loop: the fields it reads are
 * volatile, and a listing is a snapshot that may be a moment old.
 */
public final class SessionInfo {
    private static final AttributeKey<SessionInfo> KEY = AttributeKey.valueOf("hoststated.relay.session");

    private final int id;
    private final int relayId;
    private final InetSocketAddress client;
    private final long startNanos;
    private volatile InetSocketAddress target;
    private volatile long lastActivityNanos;
    private volatile boolean done;

    private SessionInfo(int id, int relayId, InetSocketAddress client, long now) {
        this.id = id;
        this.relayId = relayId;
        this.client = client;
        this.startNanos = now;
        this.lastActivityNanos = now;
    }

    /**
     * Counts a new session of {@code relay}, registers its client channel for listing and for
     * shutdown, and closes the count when the channel closes. Returns the session.
     */
    public static SessionInfo open(RelayContext relay, Channel clientChannel) {
        SessionInfo s = new SessionInfo(relay.counters().opened(), relay.config().id(),
                (InetSocketAddress) clientChannel.remoteAddress(), System.nanoTime());
        clientChannel.attr(KEY).set(s);
        relay.sessions().add(clientChannel);
        clientChannel.closeFuture().addListener(f -> relay.counters().closed());
        return s;
    }

    /** The session of {@code clientChannel}, or null when it has none (not yet, or refused). */
    public static SessionInfo of(Channel clientChannel) {
        return clientChannel.attr(KEY).get();
    }

    public int id() {
        return id;
    }

    /** The backend the session talks to now (a keep-alive HTTP session may change it). */
    public void target(InetSocketAddress to) {
        target = to;
    }

    /** Bytes moved in either direction; cheap enough to call per read. */
    public void touch() {
        lastActivityNanos = System.nanoTime();
    }

    /** The session is closing: listed as DONE until its channel is gone. */
    public void done() {
        done = true;
    }

    /** The {@code show sessions} row, as of {@code nowNanos}; {@code loop} is the worker number. */
    public CtlSession toCtl(int loop, long nowNanos) {
        InetSocketAddress t = target;
        return new CtlSession(relayId, loop, id, client.getAddress(), client.getPort(),
                t == null ? null : t.getAddress(), t == null ? 0 : t.getPort(), done,
                (nowNanos - startNanos) / 1_000_000, (nowNanos - lastActivityNanos) / 1_000_000);
    }
}
