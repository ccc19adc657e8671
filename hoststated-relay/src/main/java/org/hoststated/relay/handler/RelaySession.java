package org.hoststated.relay.handler;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.unix.Errors;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.NotSslRecordException;
import io.netty.handler.ssl.SslHandshakeTimeoutException;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.EventExecutor;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.posix.SystemError;
import org.hoststated.relay.ExitReset;
import org.hoststated.relay.HalfClose;

/**
 * Small helpers the relay session handlers share: the reason a session ended (kept on the
 * client channel, first writer wins, printed in the session's close line), how a failure reads
 * in that line, what a channel holds queued, the ways a relay ends one side
 * ({@code closeOnFlush}, {@code shutdownOutputOnFlush}, {@code abortOnFlush}, {@code abort}),
 * handing a task to a worker loop ({@link #runOn}) and a backend connect's outcome to the
 * session ({@link #whenConnected}). Called on the session's worker loop
 * unless said otherwise.
 */
public final class RelaySession {
    static final AttributeKey<String> REASON = AttributeKey.valueOf("hoststated.relay.reason");
    static final AttributeKey<String> NOTE = AttributeKey.valueOf("hoststated.relay.note");

    /** The longest failure text a close line carries: a peer's bytes must not flood the log. */
    static final int MAX_DESCRIBED = 160;
    /** The address Netty appends to a failed connect's message: ": [host]/address:port". */
    private static final Pattern CONNECT_ADDRESS = Pattern.compile(": [^\\s/]*/\\S+$");
    /** How Netty names BoringSSL's error 0 (no error queued). */
    private static final String NO_BORINGSSL_REASON = "error:00000000:";
    /**
     * BoringSSL's reasons for the handshakes operators meet most, in words: its error string
     * ("error:100000f0:SSL routines:OPENSSL_internal:UNSUPPORTED_PROTOCOL") does not say that a
     * TLS 1.0 or 1.1 client was refused. The reason stays at the end, for a search.
     */
    private static final Map<String, String> BORINGSSL_REASONS = Map.ofEntries(
            Map.entry("UNSUPPORTED_PROTOCOL", "the client offers neither TLS 1.2 nor 1.3"),
            Map.entry("NO_SHARED_CIPHER", "no cipher suite in common with the client"),
            Map.entry("NO_SHARED_GROUP", "no key exchange group in common with the client"),
            // Of a TLS 1.2 client whose suites the key cannot serve (DHE ones only, to an EC key).
            Map.entry("WRONG_CURVE", "no cipher suite in common with the client that the key serves"),
            Map.entry("NO_COMMON_SIGNATURE_ALGORITHMS", "no signature algorithm in common with the client"),
            Map.entry("EXCESSIVE_MESSAGE_SIZE", "a handshake message over the size limit"),
            Map.entry("ENCRYPTED_LENGTH_TOO_LONG", "a record longer than TLS allows"),
            Map.entry("WRONG_VERSION_NUMBER", "not a TLS record"),
            Map.entry("UNEXPECTED_RECORD", "a record out of place in the handshake"),
            Map.entry("BAD_DECRYPT", "a record that does not decrypt"),
            Map.entry("TOO_MANY_KEY_UPDATES", "key updates without end"),
            Map.entry("TOO_MANY_EMPTY_FRAGMENTS", "empty records without end"),
            Map.entry("TOO_MANY_WARNING_ALERTS", "warning alerts without end"),
            Map.entry("BAD_ALERT", "a malformed alert record"));

    /**
     * The JDK engine's texts for the refusals BoringSSL's have words for ({@link #BORINGSSL_REASONS}),
     * so that one event reads alike on both engines (probe V); the JDK's text stays in brackets.
     */
    private static final Map<String, String> JDK_REASONS = Map.ofEntries(
            Map.entry("Unrecognized SSL message", "not a TLS record"),
            Map.entry("Tag mismatch", "a record that does not decrypt"),
            Map.entry("Invalid TLS padding data", "a record that does not decrypt"),
            Map.entry("bad record MAC", "a record that does not decrypt"),
            Map.entry("Input record too big", "a record longer than TLS allows"),
            Map.entry("The size of the handshake message", "a handshake message over the size limit"),
            Map.entry("no cipher suites in common", "no cipher suite in common with the client"),
            // Of a server name that is no host name (an underscore in it, say); BoringSSL takes it.
            Map.entry("Illegal server name", "a server name (SNI) that is not a host name"),
            Map.entry("Invalid Alert message", "a malformed alert record"),
            // "Client requested protocol TLSv1.1 is not enabled or supported in server context"
            Map.entry("Client requested protocol", "the client offers neither TLS 1.2 nor 1.3"),
            Map.entry("Insufficient buffer remaining for AEAD", "a record that does not decrypt"),
            Map.entry("Client initiated renegotiation", "a renegotiation, which the relay refuses"));

    private static String jdkReasonInWords(String m) {
        for (Map.Entry<String, String> e : JDK_REASONS.entrySet()) {
            if (m.startsWith(e.getKey())) {
                // The JDK's text without the hex dump it adds of a server name (probe BA).
                int dump = m.indexOf(", value={");
                return e.getValue() + " (" + (dump < 0 ? m : m.substring(0, dump)) + ")";
            }
        }
        return m;
    }

    private RelaySession() {
    }

    /**
     * The close line of a TLS client that sent FIN before its handshake was done: it can never
     * finish it (port scans, load balancer probes, a client that gave up).
     */
    public static final String CLOSED_IN_HANDSHAKE = "TLS handshake: the client closed the connection";

    /** {@code ch} is a TLS client whose handshake has not ended yet. */
    public static boolean inTlsHandshake(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        return tls != null && !tls.handshakeFuture().isDone();
    }

    /**
     * The close line of a session that {@code side} ("client" or "server") failed with
     * {@code cause}. A TLS client's reset or other socket error in its handshake says "TLS
     * handshake:" as the handshake's other failures do, where operators look for them (probe S).
     */
    public static String failure(Channel client, String side, Throwable cause) {
        if (side.equals("client") && inTlsHandshake(client)) {
            return describeHandshakeFailure(cause);
        }
        return side + ": " + describe(cause);
    }

    /** The close line of a TLS client still in its handshake at a time limit. */
    public static final String HANDSHAKE_TIMED_OUT = "TLS handshake: timed out";

    /**
     * Why the session's {@code timeout} ends it: a client still in its handshake (a relay
     * timeout shorter than the handshake's limit) timed out there, not in an idle session.
     */
    public static String sessionTimeoutReason(Channel client) {
        return inTlsHandshake(client) ? HANDSHAKE_TIMED_OUT : "session timeout";
    }

    /** Replaces the reason recorded for the session if it is {@code was}. */
    public static void replaceReason(Channel client, String was, String reason) {
        client.attr(REASON).compareAndSet(was, reason);
    }

    /** Records why the session ends, unless a reason was recorded already. */
    public static void setReason(Channel client, String reason) {
        client.attr(REASON).setIfAbsent(reason);
    }

    /**
     * Whether the session's end is decided (a reason recorded): it only passes on what it holds
     * before it closes, and is listed as DONE, not RUNNING (a session whose server had reset it
     * was listed RUNNING, with that server, for the seconds its client took to read the rest).
     */
    public static boolean ending(Channel client) {
        return client.hasAttr(REASON) && client.attr(REASON).get() != null;
    }

    /** Bytes queued on {@code ch} that its peer has not taken yet; 0 for none or null. */
    public static long pendingBytes(Channel ch) {
        if (ch == null) {
            return 0;
        }
        ChannelOutboundBuffer b = ch.unsafe().outboundBuffer();
        return b == null ? 0 : b.totalPendingWriteBytes();
    }

    /**
     * Records something a peer did wrong that the session outlived (the relay dropped it, the
     * client saw nothing), unless a note was recorded already: a session that ends "done" says
     * it after that word, so that the operator learns of a broken server that clients do not
     * show. Not for the hot path: only where the misbehaviour is found.
     */
    public static void note(Channel client, String note) {
        client.attr(NOTE).setIfAbsent(note);
    }

    /** Replaces the session's {@link #note} if it is {@code was}, the same String (a count in it has grown). */
    public static void replaceNote(Channel client, String was, String note) {
        client.attr(NOTE).compareAndSet(was, note);
    }

    /** Why the session ended, with its {@link #note} if it ended "done". */
    public static String reason(Channel client) {
        String r = client.attr(REASON).get();
        r = r != null ? r : "done";
        String n = client.hasAttr(NOTE) ? client.attr(NOTE).get() : null;
        if (n == null || !r.startsWith("done")) {
            return r;
        } else if (r.equals("done")) {
            return "done (" + n + ")";
        } else if (r.startsWith("done (") && r.endsWith(")")) {
            return r.substring(0, r.length() - 1) + "; " + n + ")";
        }
        return r;
    }

    /**
     * Why a session found no host: for a relay whose only target is {@code nat lookup}, that the
     * client was not redirected to it (an operator's packet filter rule that does not match, or
     * a client that connected to the relay's own address), not an empty table it does not have.
     */
    public static String noHostReason(RelayConfig relay) {
        return relay.natLookup() && relay.target() == null
                ? "not redirected by the packet filter (nat lookup)" : "no host available";
    }

    /**
     * A failure as the close line says it: the exception's own message, without the wrapper
     * Netty's decoders add, and short. A client that sends something other than TLS to a TLS
     * listener is "not a TLS record" (Netty's message carries the whole record in hex); a TLS
     * failure says so.
     */
    public static String describe(Throwable t) {
        // A channel Netty could not make (no descriptor left for its socket) fails its connect
        // with a ChannelException whose message is the cause's class and text; a write that
        // failed ends the channel's output with a ChannelOutputShutdownException around the
        // system's error ("Channel output shutdown" told nothing of the peer's reset, probe AW).
        while ((t instanceof DecoderException || t instanceof ChannelException
                || t instanceof ChannelOutputShutdownException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ChannelOutputShutdownException) {
            return "the connection was already closed for sending";
        }
        if (t instanceof NotSslRecordException) {
            return "TLS: not a TLS record";
        }
        if (t instanceof SslHandshakeTimeoutException) {
            // Netty's "handshake timed out after 10000ms", which the prefix would say twice.
            return HANDSHAKE_TIMED_OUT;
        }
        if (t instanceof ClosedChannelException) {
            // Netty's stackless one has no message: its class name told the operator nothing.
            return "the connection was already closed";
        }
        String m = t.getMessage();
        if (t instanceof NoRouteToHostException && (m == null || m.isEmpty() || m.startsWith("null: "))) {
            // Netty's native transports raise both EHOSTUNREACH and ENETUNREACH as this without
            // a message; epoll's connect then adds the address to it ("null: /10.0.0.5:80").
            m = "network or host unreachable";
        } else if (m == null || m.isEmpty()) {
            m = t.getClass().getSimpleName();
        } else if (t instanceof Errors.NativeIoException || t instanceof ConnectException) {
            // "io_uring read(..) failed with error(-104): Connection reset by peer": the
            // system call is Netty's business, the error the operator's. A failed connect is
            // spelt the same, in a ConnectException (Netty's own class of it is not public).
            m = SystemError.withoutCall(m);
        } else if (t instanceof SSLException) {
            if (m.contains(NO_BORINGSSL_REASON)) {
                // BoringSSL sent an alert without queueing an error, as for a server name
                // longer than 255 bytes: Netty then spells error 0 twice over.
                m = "refused, BoringSSL gave no reason (the alert it sent the client tells)";
            } else if (m.startsWith("Illegal packet length")) {
                // Netty's engine, of a record header that says more than 16 KB (+ overhead).
                m = "a record longer than TLS allows";
            } else if (m.startsWith("error:")) {
                String reason = m.substring(m.lastIndexOf(':') + 1);
                String words = BORINGSSL_REASONS.get(reason);
                m = words != null ? words + " (" + reason + ")" : m;
            } else {
                m = jdkReasonInWords(m);
            }
            // The JDK refuses a renegotiation with a handshake exception, after the handshake.
            boolean handshake = t instanceof SSLHandshakeException && !m.startsWith(JDK_REASONS.get("Client initiated renegotiation"));
            m = (handshake ? "TLS handshake: " : "TLS: ") + m;
        }
        return m.length() <= MAX_DESCRIBED ? m : m.substring(0, MAX_DESCRIBED) + "...";
    }

    /**
     * Like {@link #describe}, for a failed TLS handshake: "TLS handshake: " and the reason, also
     * where the JDK's engine throws a plain {@code SSLException} in its handshake (most of its
     * refusals), which read as a failure after the handshake.
     */
    public static String describeHandshakeFailure(Throwable t) {
        String why = describe(t);
        if (why.startsWith("TLS handshake: ")) {
            return why;
        }
        return "TLS handshake: " + (why.startsWith("TLS: ") ? why.substring("TLS: ".length()) : why);
    }

    /**
     * Like {@link #describe}, for a backend connect: a cancelled one was abandoned as its host
     * went down, or was disabled or removed (the close line said "went down" of a host the
     * operator disabled, probe B). Netty ends a failed connect's message with the address ("Connection refused:
     * localhost/127.0.0.1:80"), which the close line names already: it is left out.
     */
    public static String describeConnectFailure(Throwable t) {
        if (t instanceof CancellationException) {
            return "abandoned: the host went down or was disabled";
        }
        if (t instanceof io.netty.channel.ConnectTimeoutException) {
            // In the same words on both transports: epoll's adds "after 5000 ms", io_uring's
            // not (probe L of session 58); the close line has the session's time anyway.
            return "connection timed out";
        }
        return routeWords(CONNECT_ADDRESS.matcher(describe(t)).replaceFirst(""));
    }

    /**
     * Like {@link #describe}, for a datagram the relay could not send towards a backend: the
     * routes that refuse are named as the health checks name them in {@code show hosts}.
     */
    public static String describeSendFailure(Throwable t) {
        return routeWords(describe(t));
    }

    /**
     * The kernel's words for a connect or send that a route refused, in the health checks'
     * ({@code HostError}): a blackhole route fails it with EINVAL, a prohibit route with
     * EACCES, this machine's firewall with EPERM. "Invalid argument" in a relay's line made
     * operators suspect the relay's configuration (probe R).
     */
    private static String routeWords(String m) {
        return switch (m) {
            case "Invalid argument" -> "blackhole route";
            // A datagram's send says it as the JDK does (the DNS relay's, probe AI).
            case "No route to host", "Network is unreachable" -> "network or host unreachable";
            case "Permission denied", "Operation not permitted" -> "not permitted (prohibit route, local firewall or broadcast address)";
            default -> m;
        };
    }

    /**
     * Runs {@code task} on {@code loop}, from any thread; nothing when the loop is shutting
     * down, since it then closes its channels itself.
     */
    public static void runOn(EventExecutor loop, Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // shutting down
        }
    }

    /**
     * Calls {@code then} with {@code connect} once the connect is done, on {@code loop} (the
     * session's) and never before this method returns. A connect that Netty fails at once (no
     * descriptor left for its socket, a registration refused) is done already: its listeners
     * would run within the caller, before it has set the connection up (and recursively on
     * each retry), or, for a channel that could not even be made, on Netty's global executor
     * thread, outside the session's loop.
     */
    public static void whenConnected(ChannelFuture connect, EventExecutor loop, Consumer<ChannelFuture> then) {
        if (connect.isDone()) {
            runOn(loop, () -> then.accept(connect));
            return;
        }
        // Done between the look and the listener (the engine's loop cancelled the connect: its
        // host went down), the listener ran within addListener, the caller's setup not made
        // yet (review CN: a NullPointerException in the HTTP relay's next step).
        AtomicBoolean returned = new AtomicBoolean();
        connect.addListener((ChannelFutureListener) f -> {
            if (returned.get()) {
                then.accept(f);
            } else {
                runOn(loop, () -> then.accept(f));
            }
        });
        returned.set(true);
    }

    /**
     * Whether a TLS client's close_notify was answered with ours already: BoringSSL's engine
     * does so at once in TLS 1.3 as in 1.2 (the JDK's half-closes a TLS 1.3 session), so
     * nothing more can reach that client and its session is over.
     */
    public static boolean closeNotifyAnswered(ChannelHandlerContext ctx) {
        SslHandler tls = ctx.pipeline().get(SslHandler.class);
        return tls != null && tls.engine().isOutboundDone();
    }

    /**
     * Ends a client that failed (a reset, a TLS error, bytes that are not TLS). A TLS engine
     * whose output is still open (the JDK's, when Netty refused a record before the engine saw
     * it, or the relay's own limit stopped it) would send close_notify at a close through the
     * pipeline, vouching for a stream cut where it stood (probe V): such a client is reset after
     * what was on its way instead. One whose engine sent its alert is closed.
     */
    public static void endFailed(Channel ch) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls != null && ch.isActive() && !tls.engine().isOutboundDone()) {
            abortOnFlush(ch);
        } else {
            ch.close();
        }
    }

    /** Closes {@code ch} once everything queued on it before has been written. */
    public static void closeOnFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }

    /**
     * Resets {@code ch} once everything queued before has been written and acknowledged, or at
     * the latest {@link StreamCut#GRACE_MS} from now ({@link StreamCut}): the peer of a side that
     * failed (a reset, an I/O error), or of a response cut short, learns that its stream was
     * cut, where a FIN, or a TLS close_notify, would tell it the stream was complete. Any other
     * close of {@code ch} through its pipeline waits for that reset.
     */
    public static void abortOnFlush(Channel ch) {
        StreamCut.end(ch);
    }

    /**
     * Resets {@code ch} now, dropping what is queued on it and what its kernel has not sent:
     * see {@link #abortOnFlush}. Its loop.
     */
    public static void abort(Channel ch) {
        if (ch instanceof ExitReset.Armed armed) {
            armed.resetAtClose(); // its close keeps the linger time set here
        }
        if (ch.isOpen()) { // a connect under way too: the kernel may have completed it
            // Set even on an armed socket, which should have it already: a reset the relay
            // chooses does not depend on what the listening socket passed on.
            ch.config().setOption(ChannelOption.SO_LINGER, 0);
        }
        // Past the pipeline: an SslHandler would send close_notify before the close.
        ch.unsafe().close(ch.unsafe().voidPromise());
    }

    /**
     * Closes the client of a session whose {@code timeout} passed. A client that has not taken
     * what was sent to it (bytes queued in the relay, or not acknowledged by its kernel: it made
     * no progress for a whole timeout) is reset now: its stream was cut, which a FIN after what
     * its kernel holds (the relay's queue dropped) or a TLS close_notify would vouch for as
     * whole (a plain client read 131,072 bytes of a 200,000-byte response ended by the close,
     * then EOF), and Netty's {@code SslHandler} held the close (and with it the server's) for
     * 3 s, waiting to flush that close_notify into a socket nobody reads. Any other client is
     * closed through its pipeline (an idle TLS client gets its close_notify at once).
     */
    public static void closeTimedOut(Channel client) {
        closeTimedOut(client, tookEverything(client));
    }

    /** {@link #closeTimedOut(Channel)} for a caller that asked {@link #tookEverything} already. */
    public static void closeTimedOut(Channel client, boolean tookEverything) {
        if (!tookEverything) {
            abort(client);
        } else {
            client.close();
        }
    }

    /**
     * Ends the server of a session whose {@code timeout} passed: one that has not taken what
     * was sent to it made no progress for a whole timeout, and is reset (its upload was cut);
     * one that took everything is closed once its session's client is ({@link
     * #closeOnFlushWithin}). Returns whether it was reset.
     */
    public static boolean endTimedOutServer(Channel server) {
        if (server != null && server.isActive() && !tookEverything(server)) {
            abort(server);
            return true;
        }
        return false;
    }

    /**
     * {@link #closeOnFlush}, for a side that no session timer watches any more (its session is
     * over): reset if it is still open the relay's {@code timeout} from now (none when 0). A
     * peer that takes nothing never lets the flush end, and kept its connection, a descriptor
     * and the kernel's send buffer, for ever. Until it closes it is one of the relay's
     * {@linkplain RelayContext#lingering lingering} sides: a stop ended it with a FIN, which
     * vouched for an upload its client had cut as whole (review R).
     */
    public static void closeOnFlushWithin(Channel ch, RelayContext relay) {
        if (!ch.isRegistered()) {
            // A channel Netty could not make (no descriptor left) has no loop to close it on,
            // and its pipeline's close threw (review R); it holds nothing to flush.
            abort(ch);
            return;
        }
        // Closed once its peer has acknowledged everything, not once the kernel has it: a peer
        // that never reads kept the bytes in an orphaned socket past the timeout below, for
        // minutes, with the session logged as done (probe AG).
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER);
        } else {
            ch.close();
        }
        if (!ch.isOpen()) {
            return;
        }
        relay.lingering().add(ch);
        int timeoutSec = relay.config().timeoutSec();
        long deadline = timeoutSec > 0 ? AcknowledgedWait.deadlineIn(TimeUnit.SECONDS.toMillis(timeoutSec))
                : AcknowledgedWait.NO_DEADLINE;
        AcknowledgedWait.start(ch, () -> !ch.isActive() || tookEverything(ch), ch::close, deadline,
                () -> abort(ch), 1, 100);
    }

    /** How often a TLS client whose server ended is looked at ({@link #closeTlsWhenTaken}). */
    private static final long TAKEN_LOOK_MS = 100;
    /**
     * Ends a TLS client whose answer or stream is complete (its server ended it, or the HTTP
     * relay's last answer): close_notify and a FIN after what is queued, then the connection
     * stays open, read (what the client still sends is dropped, {@link DroppedInput}) until the
     * client has taken all of it and the {@link Linger} rule lets the close come (it sent nothing
     * for 2 s, or has gone on for 30 s), or the client closes; one
     * that takes nothing is reset at the relay's {@code timeout} (600 s without one). Closed as
     * soon as its last bytes were in the kernel, a client that sent anything more (a
     * pipelined command, a TLS 1.3 KeyUpdate, the rest of a refused upload) was reset by the
     * relay's kernel, which dropped what it had not sent: 860 KB of a 1 MB answer, logged as
     * all sent (probe T); closed once it had taken the answer, a client still uploading (Python's
     * requests writes its whole body first) was reset before it read the 413 (probe W).
     */
    public static void closeTlsWhenTaken(Channel ch, RelayContext relay) {
        SslHandler tls = ch.pipeline().get(SslHandler.class);
        if (tls == null || !ch.isActive()) {
            closeOnFlush(ch);
            return;
        }
        PausedReads.set(ch, true);
        long deadline = lingerDeadline(relay);
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || !ch.isActive()) {
                ch.close();
                return;
            }
            // What the client sends from now on is dropped before the TLS engine sees it: with
            // BoringSSL's engine, once the relay's close_notify is out, Netty's handler takes
            // the client's next record for the client's close_notify, which closed the session
            // at once with bytes unread (a reset that dropped the answer).
            DroppedInput quiet = droppedInput(ch);
            tls.closeOutbound().addListener((ChannelFutureListener) sent -> {
                if (!sent.isSuccess() || !(ch instanceof DuplexChannel d) || !ch.isActive()) {
                    ch.close();
                    return;
                }
                finThenCloseWhenQuiet(d, quiet, () -> tookEverything(ch), deadline);
            });
        });
    }

    /** The relay's {@code timeout} (600 s without one) from now: when a lingering side is reset. */
    private static long lingerDeadline(RelayContext relay) {
        int timeoutSec = relay.config().timeoutSec() > 0 ? relay.config().timeoutSec() : 600;
        return AcknowledgedWait.deadlineIn(TimeUnit.SECONDS.toMillis(timeoutSec));
    }

    /** The channel's {@link DroppedInput}, first in its pipeline, added if it has none. */
    private static DroppedInput droppedInput(Channel ch) {
        DroppedInput dropped = ch.pipeline().get(DroppedInput.class);
        if (dropped == null) {
            dropped = new DroppedInput();
            ch.pipeline().addFirst(dropped);
        }
        return dropped;
    }

    /**
     * Sends FIN on {@code d}, then closes it once its peer has been quiet as the {@link Linger}
     * rule says and {@code taken} holds, or resets it at {@code deadline}.
     */
    private static void finThenCloseWhenQuiet(DuplexChannel d, DroppedInput quiet, BooleanSupplier taken,
            long deadline) {
        HalfClose.shutdownOutput(d);
        AcknowledgedWait.start(d, () -> quiet.linger.remainingNanos() <= 0 && taken.getAsBoolean(), d::close,
                deadline, () -> abort(d), TAKEN_LOOK_MS, TAKEN_LOOK_MS);
    }

    /**
     * Ends a client no host can take with an orderly close: a FIN at once (over TLS,
     * close_notify first, {@link #closeTlsWhenTaken}), then what it still sends is read and
     * dropped until the {@link Linger} rule lets the close come, or it closes itself; one that
     * never stops is reset at the relay's {@code timeout}. Closed with bytes unread, as it
     * was, the kernel reset the connection of a client that spoke first (probe AU: 19 of 20,
     * where the manual promises a close and HAProxy gives one).
     */
    public static void closeUnserved(Channel ch, RelayContext relay) {
        if (ch.pipeline().get(SslHandler.class) != null) {
            closeTlsWhenTaken(ch, relay);
            return;
        }
        if (!(ch instanceof DuplexChannel d) || !ch.isActive()) {
            ch.close();
            return;
        }
        if (ch.config() instanceof io.netty.channel.socket.SocketChannelConfig c) {
            c.setAllowHalfClosure(false); // the client's FIN closes it at once
        }
        DroppedInput quiet = droppedInput(ch);
        PausedReads.set(ch, true);
        finThenCloseWhenQuiet(d, quiet, () -> true, lingerDeadline(relay)); // it was sent nothing
    }

    /**
     * Whether {@code ch}'s peer has taken all that was written to it (true if its kernel cannot
     * tell). A channel whose output is shut has no queue left (Netty drops it then, and calls
     * such a channel unwritable for good): only its kernel knows. Two other readings of Netty's
     * queue differ on purpose: {@code StreamCut.queueEmpty} also wants no entry (a send in flight
     * stays one until done), {@code HalfClose.shutdownIfIdle} wants no entry only (called from
     * the last write's promise, whose overhead io_uring's queue still counts).
     */
    public static boolean tookEverything(Channel ch) {
        ChannelOutboundBuffer queue = ch.unsafe().outboundBuffer();
        if (queue != null && (queue.totalPendingWriteBytes() > 0 || !queue.isWritable())) {
            return false;
        }
        return TcpInfo.allAcknowledged(ch);
    }

    /**
     * Sends FIN on {@code ch} once everything queued before has been written: the peer's half
     * of a half-closed TCP session.
     */
    public static void shutdownOutputOnFlush(Channel ch) {
        if (!ch.isActive()) {
            return;
        }
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
            if (f.isSuccess() && ch instanceof DuplexChannel d) {
                HalfClose.shutdownOutput(d);
            } else {
                ch.close();
            }
        });
    }
}
