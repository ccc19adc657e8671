package org.hoststated.relay.handler;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.RejectedExecutionException;
import org.hoststated.core.log.Visible;
import org.hoststated.core.msg.CtlSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code show sessions} and the session's close line say of one live session, kept on
 * its client channel. Every session of every protocol (tcp, http) opens one with {@link #open}
 * when its client channel becomes active; the relay engine lists them from
 * {@link RelayContext#sessions()}. When the client channel closes, the session is uncounted
 * and one line is logged (info with {@code log updates} or {@code log all}, else debug):
 * <pre>
 *   relay www, session 12 (3 active), 192.0.2.7:51234 -> 10.0.0.2:80, 1502 ms, 517 bytes to server,
 *   91234 bytes to client, closed by client[ [Host: a.example]]
 * </pre>
 * (one line): the session's duration, the payload bytes it relayed each way ({@link
 * #relayedToServer}, {@link #relayedToClient}), the reason recorded by {@link
 * RelaySession#setReason}, the values an HTTP session's {@code log} actions added with {@link
 * #logValue}, and the hosts it left ({@link #movedOff}). The numbers come before the reason, whose
 * text is free (a peer's words may be in it), so that a log tool finds them at a fixed place; a
 * relay name that could pass for the line's own punctuation is quoted ({@link #logName}).
 *
 * <p>Written on the session's worker loop, read by the engine loop: the fields it reads are
 * volatile, but for the byte counts, and a listing is a snapshot that may be a moment old.
 */
public final class SessionInfo {
    private static final Logger log = LoggerFactory.getLogger(SessionInfo.class);
    private static final AttributeKey<SessionInfo> KEY = AttributeKey.valueOf("hoststated.relay.session");
    /** Bound on the logged values of one session, so a client cannot grow a log line without end. */
    static final int MAX_LOGGED_CHARS = 2048;
    /**
     * The client address of a channel that has none: a test's embedded channel, or a client
     * that reset before its address was asked for (io_uring's multishot accept does not return
     * it; Netty asks the kernel when it is first wanted). Logged as "unknown".
     */
    private static final InetSocketAddress UNKNOWN = new InetSocketAddress(0);

    private final long id;
    private final int relayId;
    private final InetSocketAddress client;
    private final long startNanos;
    private volatile InetSocketAddress target;
    private volatile long lastActivityNanos;
    /**
     * When the session's {@code timeout} last started again though no byte moved (a connect
     * under way, a request sent again): the timer counts from it, {@code show sessions}' idle
     * time does not (probe AI: idle 0 s, then 6 s, at 8 s and 14 s of a connect to a host that
     * dropped the packets).
     */
    private volatile long clockRestartNanos;
    private volatile boolean done;
    /** The TCP relay's server side ({@link #server}), on the session's loop. */
    private Channel server;
    /**
     * Payload bytes relayed to the server and to the client. Plain fields, written on the
     * session's loop only: the engine's loop reads them for a listing without a barrier, so a
     * row may be a moment behind (HotSpot on a 64-bit platform, which the relay needs, writes a
     * long whole). Opaque VarHandle accesses should cost the same, but with them the
     * keep-alive HTTP relay took 8-10 % more CPU per request than the build before in two
     * side-by-side runs (two daemons of one build differed by up to 7 %); with plain fields the
     * difference stayed within that spread.
     */
    private long toServer;
    private long toClient;
    /** The {@code log} actions' "key: value" pairs, or null; session loop only. */
    private StringBuilder logged;
    /** Where each pair of {@link #logged} starts; session loop only. */
    private int[] pairStarts = new int[4];
    private int pairCount;

    private SessionInfo(long id, int relayId, InetSocketAddress client, long now) {
        this.id = id;
        this.relayId = relayId;
        this.client = client;
        this.startNanos = now;
        this.lastActivityNanos = now;
        this.clockRestartNanos = now;
    }

    /**
     * Counts a new session of {@code relay}, registers its client channel for listing and for
     * shutdown, and closes the count (and logs the session's line) when the channel closes.
     * Returns the session.
     */
    public static SessionInfo open(RelayContext relay, Channel clientChannel) {
        SessionInfo s = new SessionInfo(relay.counters().opened(), relay.config().id(),
                clientChannel.remoteAddress() instanceof InetSocketAddress a ? a : UNKNOWN, System.nanoTime());
        clientChannel.attr(KEY).set(s);
        relay.sessions().add(clientChannel);
        clientChannel.closeFuture().addListener(f -> s.closed(relay, clientChannel));
        return s;
    }

    /**
     * {@link #open}s the session of a new client channel, or, for a {@code disable}d relay,
     * closes the channel and returns null: such a relay accepts and closes at once (SPEC 1.6),
     * and that is not counted as a session. A client socket without an address is gone
     * already: its session is opened, so that it is counted and logged, and closed as the reset
     * it is, and null returned; its handler relays nothing.
     */
    public static SessionInfo openUnlessDisabled(RelayContext relay, Channel clientChannel) {
        if (relay.config().disabled()) {
            clientChannel.close();
            relay.counters().refusedWhileDisabled().add(clientChannel.eventLoop(), n -> log.info(
                    "relay {}: disabled in the configuration: {} closed as accepted since the last such line",
                    logName(relay.name()), n == 1 ? "1 connection" : n + " connections"));
            return null;
        }
        SessionInfo s = open(relay, clientChannel);
        if (clientChannel.remoteAddress() == null) {
            // io_uring accepts without the peer's address, which Netty asks the kernel for when
            // first wanted; a client that reset meanwhile (one queued while the relay engine
            // restarted) has none. Its request may still be readable, but the rules' and the
            // scheduler's $REMOTE_ADDR would meet null (a NullPointerException's text was its
            // close line), and nobody would read an answer.
            RelaySession.setReason(clientChannel, "client: Connection reset by peer");
            clientChannel.close();
            return null;
        }
        return s;
    }

    /** The session of {@code clientChannel}, or null when it has none (not yet, or refused). */
    public static SessionInfo of(Channel clientChannel) {
        return clientChannel.attr(KEY).get();
    }

    public long id() {
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

    /**
     * {@code n} payload bytes (plaintext behind TLS) were passed on to the server: as relayed,
     * so an HTTP request head counts as the rules left it. Call on the session's loop, per
     * buffer passed on.
     */
    public void relayedToServer(long n) {
        toServer += n;
    }

    /** {@code n} payload bytes were passed on to the client; as {@link #relayedToServer}. */
    public void relayedToClient(long n) {
        toClient += n;
    }

    /** The session's timeout counts from now, though no byte moved ({@link #clockRestartNanos}). */
    public void restartClock() {
        clockRestartNanos = System.nanoTime();
    }

    /**
     * When bytes last moved or the timeout started again ({@link #restartClock}), whichever is
     * later, in {@link System#nanoTime()} terms: what the session's timer counts from.
     */
    public long lastActivityNanos() {
        long data = lastActivityNanos;
        long restart = clockRestartNanos;
        return restart - data > 0 ? restart : data;
    }

    /** The session is closing: listed as DONE until its channel is gone. */
    public void done() {
        done = true;
    }

    /**
     * Adds {@code key: value} to the session's close line (an HTTP {@code log} action). Call on
     * the session's worker loop. Values beyond {@link #MAX_LOGGED_CHARS} in all are dropped, and
     * so is a pair the line has already: each request of a keep-alive session logs its fields,
     * and 85,000 requests of 8 clients with one cookie wrote "[SESSIONID: abc]" 128 times per
     * line, up to the bound, hiding any value that differed.
     */
    public void logValue(String key, String value) {
        logValue(key, "", value);
    }

    /** {@link #logValue(String, String)} of a value whose {@code plain} beginning, the relay's own text, is not escaped. */
    private void logValue(String key, String plain, String value) {
        if (logged == null) {
            logged = new StringBuilder();
        }
        if (logged.length() > MAX_LOGGED_CHARS) {
            return; // cut already, with "..."
        }
        int start = logged.length();
        // The key too: a path log's key is the client's path (review CJ).
        logged.append(" [");
        appendEscaped(logged, key);
        logged.append(": ").append(plain);
        appendEscaped(logged, value);
        logged.append(']');
        if (alreadyLogged(start)) {
            logged.setLength(start);
            return;
        }
        if (logged.length() > MAX_LOGGED_CHARS) {
            // Also a pair that comes when the pairs fill the bound exactly: the cut says so.
            logged.setLength(MAX_LOGGED_CHARS);
            logged.append("...");
        }
    }

    /**
     * The session left a host for another one: a failed connect tried on the next host, or an
     * HTTP request resent there. {@code what} names the host left and why; the close line,
     * which names only the host the session ended on, gets a {@code [moved off: what]} pair
     * (once per distinct {@code what}, within the bound of {@link #logValue}), so the operator
     * sees which host failed it. Call on the session's worker loop.
     */
    public void movedOff(String what) {
        hostAndWhy("moved off", what);
    }

    /**
     * An HTTP request sent again to the same host, whose connection ended before the response
     * began: a {@code [resent: what]} pair, once per distinct {@code what}, so that the close
     * line tells the operator that the server may have had the request twice (probe A). Call
     * on the session's worker loop.
     */
    public void resent(String what) {
        hostAndWhy("resent", what);
    }

    /**
     * A failed connect tried again on the same host ({@code retry}): a {@code [retried: what]}
     * pair, once per distinct {@code what}, so that the close line tells a retried connect from
     * a single one (probe R). Call on the session's worker loop.
     */
    public void retried(String what) {
        hostAndWhy("retried", what);
    }

    /**
     * A pair whose value is a host the relay names, then ": " and why: the host goes as it is,
     * so that an IPv6 host reads {@code [2001:db8::5]:80} as elsewhere in the line, not with its
     * ']' escaped (probe AD).
     */
    private void hostAndWhy(String key, String what) {
        int cut = what.indexOf(": ");
        logValue(key, cut < 0 ? "" : what.substring(0, cut + 2), cut < 0 ? what : what.substring(cut + 2));
    }

    /**
     * Whether the pair appended from {@code start} on is one of the pairs already in the line
     * (compared pair by pair: a value's escaped text may hold what looks like another pair),
     * and if not, records where it starts.
     */
    private boolean alreadyLogged(int start) {
        int len = logged.length() - start;
        for (int i = 0; i < pairCount; i++) {
            int at = pairStarts[i];
            int end = i + 1 < pairCount ? pairStarts[i + 1] : start;
            if (end - at == len && regionEquals(at, start, len)) {
                return true;
            }
        }
        if (pairCount == pairStarts.length) {
            pairStarts = java.util.Arrays.copyOf(pairStarts, pairCount * 2);
        }
        pairStarts[pairCount++] = start;
        return false;
    }

    private boolean regionEquals(int a, int b, int len) {
        for (int i = 0; i < len; i++) {
            if (logged.charAt(a + i) != logged.charAt(b + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The {@code show sessions} row, as of {@code nowNanos}, without its relay's name
     * ({@link CtlSession#withRelay}); {@code loop} is the worker number.
     */
    public CtlSession toCtl(int loop, long nowNanos, boolean ending) {
        InetSocketAddress t = target;
        return new CtlSession(relayId, "", false, loop, id, client.getAddress(), client.getPort(),
                t == null ? null : t.getAddress(), t == null ? 0 : t.getPort(), done || ending,
                Math.max(0, (nowNanos - startNanos) / 1_000_000), Math.max(0, (nowNanos - lastActivityNanos) / 1_000_000),
                toServer, toClient);
    }

    /**
     * The server side of a TCP session: the session lasts until it is closed too. After its
     * client's close (or reset) it may still pass on what the client sent, for up to the
     * relay's timeout (or StreamCut's grace, after a reset), holding a connection and a
     * descriptor; the session was gone from {@code show sessions} and counted closed, its line
     * written, with its server still open (probe AE). Its loop; null when there is none.
     */
    public void server(Channel ch) {
        server = ch;
    }

    private void closed(RelayContext relay, Channel clientChannel) {
        done = true;
        Channel s = server;
        if (s != null && s.isOpen()) {
            s.attr(KEY).set(this); // listed, as DONE, among the relay's lingering sides
            relay.lingering().add(s); // now: the handler's close of it comes a task later
            s.closeFuture().addListener(f -> ended(relay, clientChannel));
            return;
        }
        ended(relay, clientChannel);
    }

    /** The session is over, both sides closed: uncounted, and its line written. */
    private void ended(RelayContext relay, Channel clientChannel) {
        relay.counters().closed();
        if (relay.logSessions() ? log.isInfoEnabled() : log.isDebugEnabled()) {
            long active = relay.counters().active();
            long durationMs = Math.max(0, (System.nanoTime() - startNanos) / 1_000_000);
            // Written once the close in progress is over: when a write fails (the client reset
            // while its response was being written), Netty closes the channel, completing this
            // future, before the failed write reports the cause that names the session's end.
            try {
                clientChannel.eventLoop().execute(() -> logClosed(relay, clientChannel, active, durationMs));
            } catch (RejectedExecutionException e) {
                logClosed(relay, clientChannel, active, durationMs);
            }
        }
    }

    private void logClosed(RelayContext relay, Channel clientChannel, long active, long durationMs) {
        String line = closeLine(relay.name(), active, durationMs, RelaySession.reason(clientChannel));
        if (relay.logSessions()) {
            log.info(line);
        } else {
            log.debug(line);
        }
    }

    /**
     * Appends a peer's value so that it cannot pass for the line's own text: a backslash is
     * doubled (the log writes controls as {@code \x1b}, which a literal "\x1b" would mimic)
     * and a {@code ]} is escaped (a value with "] [key: value" would forge a second pair).
     */
    private static void appendEscaped(StringBuilder b, String value) {
        StringBuilder v = new StringBuilder(value.length() + 8);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\' || c == ']') {
                v.append('\\');
            }
            v.append(c);
        }
        // Control characters escaped here, not only by the log's formatter, so that the bound
        // counts them as written: an escape is 4 to 10 characters, and 2,048 of them made a
        // 20 KiB line, cut by syslog (review CL).
        b.append(Visible.escape(v));
    }

    /** The session's close line (see the class comment); {@code durationMs} from open to close. */
    String closeLine(String relayName, long active, long durationMs, String reason) {
        InetSocketAddress t = target;
        return "relay " + logName(relayName) + ", session " + id + " (" + active + " active), " + address(client)
                + " -> " + (t == null ? "-" : address(t)) + ", " + durationMs + " ms, " + toServer
                + " bytes to server, " + toClient + " bytes to client, " + reason + (logged == null ? "" : logged);
    }

    /** A relay's name as its session lines write it ({@link Visible#name}). */
    public static String logName(String name) {
        return Visible.name(name);
    }

    /**
     * An address as every relay log line writes it: {@code 192.0.2.7:51234}, without a slash;
     * IPv6 in brackets and its short form ({@code [2001:db8::7]:51234}), as {@code show
     * sessions} writes it: Java's {@code 0:0:0:0:0:0:0:1:51234} left the port ambiguous.
     */
    public static String address(InetSocketAddress a) {
        return a == null ? "-" : a == UNKNOWN ? "unknown" : NetUtil.toSocketAddressString(a);
    }
}
