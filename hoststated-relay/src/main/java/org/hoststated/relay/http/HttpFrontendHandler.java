package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.AcceptedEpollSocketChannel;
import io.netty.channel.epoll.EpollDirectSend;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslCloseCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import org.hoststated.relay.HalfClose;
import org.hoststated.relay.ReceiveRing;
import org.hoststated.relay.handler.HeldSession;
import org.hoststated.relay.handler.OriginalDestination;
import org.hoststated.relay.handler.RelayContext;
import org.hoststated.relay.handler.PausedReads;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.SessionInfo;
import org.hoststated.relay.handler.TcpInfo;
import org.hoststated.relay.handler.TlsRecordEdge;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of one HTTP relay session and the session's owner: last handler of the
 * client channel's pipeline ({@code [ssl] -> http}), on the worker loop
 * that accepted the client. It reads request heads with {@link HttpHead} (strictly, refusing
 * what could smuggle a request), rewrites an absolute-form one to origin-form
 * ({@link OriginForm}), applies the protocol's request rules, picks a host per
 * request (late connect: hashed values may choose it), connects the backend channel on the
 * same loop, and streams the request body through. The response side is
 * {@link HttpBackendHandler}, which calls back here.
 *
 * <p>One exchange at a time: a pipelined request waits, buffered (up to the head limit, then
 * reading pauses), until the response before it is complete, so responses can never be
 * mismatched. The backend connection is kept across requests while both ends allow it, and
 * parked for the relay's next sessions on this loop when the session ends ({@link BackendPool});
 * a client's {@code Connection: close} therefore reaches the server as {@code keep-alive}.
 * Back-pressure: the client is read only while the backend channel is writable (and not while
 * it connects), the backend only while the client channel is writable.
 */
final class HttpFrontendHandler extends ChannelInboundHandlerAdapter implements HeldSession {
    private static final Logger log = LoggerFactory.getLogger(HttpFrontendHandler.class);
    /** How long a session of a replaced relay may stay idle after a response before it is closed. */
    static final long RETIRE_IDLE_MS = 1000;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    private enum State { HEAD, BODY, TUNNEL, CLOSED }

    private final RelayContext relay;
    private final HttpRules rules;
    private final HttpLimits limits;
    /** The host choice depends on the hash key (a table in loadbalance or hash mode). */
    private final boolean hashRouted;
    private final HttpHead head = new HttpHead();
    private final HeadScanner scanner = new HeadScanner(400);
    private final ChunkedFramer chunked;
    private final BodyFramer.Fixed fixed = new BodyFramer.Fixed();
    private final Consumer<ByteBuf> toServer = this::toServer;
    private Channel client;
    private SessionInfo session;
    private SessionValues values;
    private HeadRewriter requestRules;
    private HeadRewriter responseRules;
    private State state = State.HEAD;
    /** Holds a TLS client's possible close_notify while its response is due; null without TLS. */
    private CloseNotifyDefer deferredClose;
    private BodyFramer body;
    private ByteBuf cumulation;
    private HttpSessionTimer timer;
    /** The close after the last response, while the client may still be sending. */
    private LingeringClose lingering;
    private boolean clientEof;
    /** The client's end was a close_notify that the JDK's engine took as a half-close (TLS 1.3). */
    private boolean closeNotifyAsFin;
    /** The server sent FIN on the tunnel (passed on to the client). */
    private boolean tunnelServerEof;
    // The exchange in flight: its request is being sent or its response awaited.
    private boolean exchange;
    /** A request head was read on this connection (the close line says so when none was). */
    private boolean anyRequest;
    private boolean requestDone;
    /**
     * The request being relayed asked to close (nor does it upgrade): once it is whole, nothing
     * the client sends matters until its answer, after which the session ends.
     */
    private boolean closeAfterAnswer;
    /**
     * The client's channel when it is a plain connection on epoll (no TLS), which need not join
     * the loop's epoll set while a {@link #closeAfterAnswer} request is at the server; else null.
     */
    private AcceptedEpollSocketChannel epollClient;
    private boolean responseStarted;
    /** The final response began while the request was still arriving: the client's connection ends after it. */
    private boolean earlyResponse;
    /** The early final response is a 2xx: its server wants the rest of the request. */
    private boolean earlySuccess;
    /**
     * The request's body waits for a 100 (Expect: 100-continue): after a final answer instead,
     * clients do not send it (they close), so that answer is not one the body follows.
     */
    private boolean bodyAwaitsContinue;
    /**
     * The response went out whole before the request's end, from a server that keeps its
     * connection: the rest of the body goes on to it, then the exchange ends as any does.
     */
    private boolean answeredEarly;
    /** For {@link #answeredEarly}: whether, by that response, the client's connection goes on. */
    private boolean answeredPersistent;
    private boolean persistentRequest;
    /**
     * The head of the request being answered went to the parser, so {@code head} tells its
     * method ({@link HttpHead} clears it first, then reads the request line before the fields it
     * may refuse).
     */
    private boolean headParsed;
    /** Whether the head being read, not yet whole, begins with the HEAD method. */
    private boolean partialHeadIsHead;
    /** A response of this session went out whole: the client is past its first request. */
    private boolean answered;
    /** Responses after which the server sent bytes that answer nothing ({@link #serverSentStray}). */
    private int strays;
    private String firstStray;
    private String strayNote;
    /** The relay was replaced: a check whether the session is idle, to end it, is scheduled. */
    private boolean retireCheck;
    private final BackendLink link;
    /** The hosts snapshot in which the connection's host was last found up ({@link #hostStillAccepted}). */
    private RelayHosts hostsChecked;
    /** {@code nat lookup}: the client's original destination (null: not redirected). */
    private TargetHost natHost;
    private boolean natLooked;

    private final BackendPool pool;

    HttpFrontendHandler(RelayContext relay, HttpRules rules, HttpLimits limits, boolean hashRouted, BackendPool pool) {
        this.relay = relay;
        this.rules = rules;
        this.limits = limits;
        this.hashRouted = hashRouted;
        this.pool = pool;
        this.chunked = new ChunkedFramer(400, limits.maxHeadBytes(), limits.maxHeaderFields(), false, rules.requestTrailers);
        this.link = new BackendLink(relay, this, pool);
    }

    Channel client() {
        return client;
    }

    /** The session's backend channel (connected or connecting), or null. */
    Channel server() {
        return link.channel();
    }

    /** A connect to a host is under way: the session waits for it, not for its peers. */
    boolean connecting() {
        return link.open() && !link.connected();
    }

    HttpLimits limits() {
        return limits;
    }

    HeadRewriter responseRules() {
        return responseRules;
    }

    /** The trailer fields responses of this relay lose. */
    TrailerFields responseTrailers() {
        return rules.responseTrailers;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        session = SessionInfo.openUnlessDisabled(relay, client);
        if (session == null) {
            return;
        }
        InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress local = (InetSocketAddress) client.localAddress();
        values = new SessionValues(remote, local, relay.config().timeoutSec(), session::logValue);
        requestRules = new HeadRewriter(rules.request, values, true);
        responseRules = new HeadRewriter(rules.response, values, false);
        timer = new HttpSessionTimer(this, client, session, limits.headTimeoutMs(), relay.config().timeoutSec());
        timer.start();
        if (client instanceof AcceptedEpollSocketChannel a && client.pipeline().get(SslHandler.class) == null) {
            epollClient = a;
        }
        deferredClose = client.pipeline().get(CloseNotifyDefer.class);
        client.config().setAutoRead(true);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (session == null || state == State.CLOSED) {
            ReferenceCountUtil.release(msg);
            if (lingering != null) {
                lingering.read();
            }
            return;
        }
        session.touch();
        ByteBuf in = (ByteBuf) msg;
        if (state == State.TUNNEL) {
            toServer(in);
            return;
        }
        if (cumulation != null) {
            in = ReceiveRing.merge(cumulation, in, client.alloc());
            cumulation = null;
        }
        consume(in);
    }

    /** Processes {@code in} and keeps what is left of it for later. */
    private void consume(ByteBuf in) {
        try {
            process(in);
        } catch (HttpException e) {
            fail(e);
        }
        if (in.isReadable() && state != State.CLOSED) {
            cumulation = ReceiveRing.compact(in, client.alloc());
        } else {
            in.release();
        }
        updateClientRead();
    }

    private void process(ByteBuf in) throws HttpException {
        while (in.isReadable()) {
            if (state == State.BODY) {
                int n = body.scan(in, in.readerIndex(), in.writerIndex());
                if (n > 0) {
                    bodyAwaitsContinue = false; // the client sends its body, 100 or not
                    if (!body.dropped()) {
                        toServer(in.retainedSlice(in.readerIndex(), n));
                    }
                }
                in.skipBytes(n);
                if (body.done()) {
                    requestComplete();
                } else if (n == 0) {
                    // A trailer field's name goes on in the next read (ChunkedFramer): kept until then.
                    return;
                }
            } else if (state != State.HEAD || exchange || !requestHead(in)) {
                // Waiting for the response before the next request, or for the rest of a head.
                return;
            }
        }
    }

    /** Reads one request head from {@code in} if it is complete; false if it is not (yet). */
    private boolean requestHead(ByteBuf in) throws HttpException {
        if (scanner.fresh()) {
            int before = in.readerIndex();
            HeadScanner.skipLeadingEmptyLines(in);
            if (in.readerIndex() != before) {
                // Empty lines start the head's clock as any byte of a head does: a client that
                // sent one every few seconds between requests held its session for ever, each
                // read counting as activity (probe X).
                timer.headStarted();
            }
            if (!in.isReadable() || (in.readableBytes() == 1 && in.getByte(in.readerIndex()) == HttpHead.CR)) {
                // Nothing yet, or the CR of an empty line whose LF comes in the next read: the
                // line is skipped then (scanned now, the CR would begin a head it cannot start).
                return false;
            }
        }
        int end = scanner.find(in);
        if (end < 0 || end - in.readerIndex() > limits.maxHeadBytes()) {
            partialHeadIsHead = startsWithHeadMethod(in);
            if (in.readableBytes() > limits.maxHeadBytes()) {
                // RFC 9110 15.5.15 and RFC 6585 5, as nginx tells a long URI apart: 413 (relayd's
                // answer) is about content, and browsers show it as an upload too large.
                throw scanner.startLineWithin(limits.maxHeadBytes())
                        ? new HttpException(431, "request head too large")
                        : new HttpException(414, "request line too long");
            }
            timer.headStarted();
            return false;
        }
        scanner.reset();
        timer.headDone();
        headParsed = true;
        head.parseRequest(in, in.readerIndex(), end, limits.maxHeaderFields());
        if (head.methodConnect) {
            // A reverse proxy opens no tunnels: the method exists, this server does not offer it.
            throw new HttpException(405, "CONNECT refused");
        }
        if (!head.absoluteForm) {
            return startExchange(in, end, null);
        }
        ByteBuf origin = OriginForm.rewrite(head, client.alloc());
        try {
            // One field more when Host was added; the head limit held for what the client sent.
            head.parseRequest(origin, 0, origin.writerIndex(), limits.maxHeaderFields() + 1);
            return startExchange(in, end, origin);
        } finally {
            origin.release();
        }
    }

    /**
     * Applies the rules to the request head just parsed and sends it on: the head is [readerIndex,
     * end) of {@code in}, or all of {@code origin} when it was rewritten to origin-form. False
     * when no host could take it.
     */
    private boolean startExchange(ByteBuf in, int end, ByteBuf origin) throws HttpException {
        int key = relay.selector().hashKey();
        persistentRequest = head.persistent();
        closeAfterAnswer = !persistentRequest && !head.upgradeRequest();
        // The client's close is the client's: the server is asked to keep the connection for
        // the next session, and the response then tells the client it closes.
        boolean keepServer = !persistentRequest && pool.enabled() && !head.upgradeRequest();
        boolean rewrite = requestRules.active() || keepServer || head.editedAnyway();
        // A rule that tells the server to close (relayd's way to turn keep-alive to servers
        // off) is the operator's word: the connection then carries no other request.
        boolean closeServer = false;
        if (rewrite) {
            requestRules.apply(head, key);
            key = requestRules.hash();
            closeServer = requestRules.closeByRule();
            if (keepServer && !closeServer) {
                requestRules.connection("keep-alive");
            }
            if (closeServer && head.upgradeRequest()) {
                // The close took the upgrade option's place: an Upgrade without it is no offer
                // (RFC 9110 7.8), so it goes, and a 101 is refused as one nobody asked for.
                requestRules.drop(HttpHead.UPGRADE);
            }
        }
        body = head.chunked ? chunked.reset(HopByHopFields.named(head)) : head.contentLength > 0 ? fixed.reset(head.contentLength) : null;
        // Only a request that can be resent goes over an idle connection of the pool: its server
        // may close it just as the request arrives.
        boolean resendable = body == null && head.idempotent;
        if (!route(key, resendable)) {
            return false;
        }
        if (head.connectionAuth) {
            link.handler().bindToClient();
        }
        exchange = true;
        anyRequest = true;
        requestDone = false;
        responseStarted = false;
        earlyResponse = false;
        earlySuccess = false;
        // An HTTP/1.0 client's expectation is ignored (RFC 9110 10.1.1): it waits for no 100.
        bodyAwaitsContinue = body != null && head.expectContinue && head.version != 10;
        if (resendable) {
            link.recordForReplay();
        }
        // The response tells the client its connection ends when the client asked to close it,
        // or when this relay was replaced by a reload.
        String upgradeOffer = !head.upgradeRequest() || body != null ? null
                : rewrite ? requestRules.values(HttpHead.UPGRADE) : head.upgradeValues();
        link.handler().expectResponse(head.methodHead, upgradeOffer, head.version == 10,
                !persistentRequest || pool.closed());
        if (closeServer) {
            link.handler().closeServerAfterResponse();
        }
        if (rewrite) {
            requestRules.write(client.alloc(), toServer);
        } else if (origin != null) {
            toServer(origin.retainedDuplicate());
        } else {
            toServer(in.retainedSlice(in.readerIndex(), end - in.readerIndex()));
        }
        if (body != null && rewrite && head.expectContinue && head.version != 10 && !requestRules.asksForContinue()) {
            // A rule took the client's Expect away, so its server sends no 100: the relay is the
            // one the client waits for (RFC 9110 10.1.1), or it would stall until the timeout.
            client.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE), client.voidPromise());
            bodyAwaitsContinue = false;
        }
        in.readerIndex(end);
        head.trim();
        if (body == null) {
            requestComplete();
        } else {
            state = State.BODY;
        }
        return true;
    }

    private void requestComplete() {
        state = State.HEAD;
        body = null;
        requestDone = true;
        if (answeredEarly) {
            // The server has the whole request, and had answered it: the exchange ends, and
            // the client's next request (in this read, maybe) is read as after any other.
            answeredEarly = false;
            exchangeEnded(true, answeredPersistent);
        }
    }

    /**
     * The body that followed an early answer stopped short ({@code why}): its server gets a
     * reset for the cut request, and the client, which has its whole answer, a close.
     */
    private void cutAfterAnswer(String why) {
        answeredEarly = false;
        timer.headDone();
        link.abort();
        RelaySession.setReason(client, why + " (after the answer)");
        closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
    }

    /**
     * Makes sure a backend connection for this request exists: the session's current one, or a
     * new one to the chosen host. False when no host is up (the session is then answered 503).
     */
    private boolean route(int key, boolean mayReuse) {
        TargetHost nat = natTarget();
        if (nat != null) {
            // Every request of a redirected client goes where it meant to go: the destination
            // is not in a table, never down, and no other host can stand in for it.
            if (link.open()) {
                link.reuse();
            } else {
                link.connect(nat, false);
            }
            return true;
        }
        boolean perRequest = rules.hashes && hashRouted;
        // A connection its server authenticated for this client stays with it while its host
        // takes sessions, even when hosts came back or a request's hash names another host:
        // elsewhere the client would have to log in again, mid-handshake maybe (review CC).
        if (link.open() && (link.boundToClient() ? relay.selector().accepts(link.host()) : !perRequest && keepsHost())) {
            link.reuse();
            return true;
        }
        InetSocketAddress remote = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress local = (InetSocketAddress) client.localAddress();
        hostsChecked = relay.selector().hosts();
        TargetHost want = relay.selector().select(remote, local, key);
        if (want == null) {
            fail(new HttpException(503, RelaySession.noHostReason(relay.config())));
            return false;
        }
        if (link.open() && want.equals(link.host())) {
            link.reuse();
            return true;
        }
        link.connect(want, mayReuse);
        return true;
    }

    /** The original destination of a client redirected to a {@code nat lookup} relay, looked up once. */
    private TargetHost natTarget() {
        if (!natLooked) {
            natLooked = true;
            if (relay.config().natLookup()) {
                InetSocketAddress orig = OriginalDestination.of(client);
                natHost = orig == null ? null : TargetHost.natLookup(orig, relay.config().natLookupRetry());
            }
        }
        return natHost;
    }

    /**
     * Whether the session's next request stays on the host of its connection. Looked at again
     * only when the hosts changed: one that went down or was disabled gets none from the
     * session's next request on, not only from the next session (a keep-alive client would
     * otherwise stay on it for as long as it likes), and when a host came back up or was
     * enabled again the request is balanced anew, as a new session's would be, so that
     * keep-alive clients moved off a host return to it (with {@code loadbalance} and
     * {@code hash} exactly those whose hash points at it) instead of leaving it idle for as
     * long as they stay connected (probe AU: 0 of 2,000 requests after its recovery).
     */
    private boolean keepsHost() {
        HostSelector selector = relay.selector();
        RelayHosts now = selector.hosts();
        if (now == hostsChecked) {
            return true;
        }
        if (link.host() == null || !selector.accepts(link.host()) || selector.gained(hostsChecked, now)) {
            return false;
        }
        hostsChecked = now;
        return true;
    }

    /** A connection to {@code to} is being made for this session. */
    void connecting(TargetHost to) {
        session.target(to.address());
    }

    /**
     * The request moves to another host ({@code what}: the host it leaves and why); the close
     * line says so ({@link SessionInfo#movedOff}).
     */
    void movedOff(String what) {
        session.movedOff(what);
    }

    /** The request is sent again to the same host; the close line says so ({@link SessionInfo#resent}). */
    void resent(String what) {
        session.resent(what);
    }

    /** A failed connect is tried again on the same host; the close line says so ({@link SessionInfo#retried}). */
    void retried(String what) {
        session.retried(what);
    }

    /** The backend connection is up: reading may start on both sides. */
    void backendConnected() {
        clientWritabilityToServer();
        updateClientRead();
    }

    /** Passes {@code b} on to the server, counted as relayed (heads as the rules left them). */
    /** Sends {@code b} to the server; counted as relayed when it goes out ({@link BackendLink#write}). */
    private void toServer(ByteBuf b) {
        link.write(b);
    }

    /** {@code n} of the client's bytes went out to the server (not merely queued for a connect). */
    void relayedToServer(long n) {
        session.relayedToServer(n);
    }

    /** When the session last saw traffic ({@link System#nanoTime()}). */
    long lastActivityNanos() {
        return session.lastActivityNanos();
    }

    /** Bytes came from the server: the session is not idle. */
    void serverTraffic() {
        if (session != null) {
            session.touch();
        }
    }

    /**
     * Passes {@code b} from the server on to the client, counted as relayed (with the framing
     * the relay writes, such as the chunk sizes of a body it re-frames). The relay's own
     * answers (an error page, a 100 Continue) are not relayed bytes and are not counted.
     */
    void toClient(ByteBuf b) {
        session.relayedToClient(b.readableBytes());
        queueToClient(b);
    }

    /**
     * {@link #toClient} for what a read of the server's hands over at once: the head the rules
     * edited (or null), then the stretch of the read after it (or null). To a plain client with
     * nothing queued they go straight to its socket ({@link EpollDirectSend}, epoll only), in
     * one system call, past Netty's outbound buffer; what its socket did not take is queued.
     */
    void toClientNow(ByteBuf head, ByteBuf stretch) {
        ByteBuf only = head == null ? stretch : stretch == null ? head : null;
        session.relayedToClient(only != null ? only.readableBytes() : head.readableBytes() + stretch.readableBytes());
        boolean sent = only != null ? EpollDirectSend.sent(client, only) : EpollDirectSend.sent(client, head, stretch);
        if (sent) {
            return;
        }
        if (only != null) {
            queueToClient(only);
            return;
        }
        if (head.isReadable()) {
            queueToClient(head);
        } else {
            head.release();
        }
        queueToClient(stretch);
    }

    /** Queues {@code b} for the client, counted already. */
    private void queueToClient(ByteBuf b) {
        client.write(ReceiveRing.forQueue(b, client), client.voidPromise());
        if (!client.isWritable()) {
            // Stop reading the server now, not at the client's writability event: behind TLS
            // that event comes only once the loop runs its tasks (the SslHandler's queue reports
            // its bytes "later"), and a server that streams is read on meanwhile.
            link.read(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushServer();
    }

    private void flushServer() {
        link.flush();
    }

    /** Reads the client only when that cannot make the relay buffer without bound. */
    private void updateClientRead() {
        if (clientEof) {
            // Reading is over (and asking epoll to read a shut input fails).
            return;
        }
        boolean read;
        if (state == State.CLOSED) {
            read = client.isActive();
        } else if (link.open()) {
            read = link.writable()
                    && !(exchange && state == State.HEAD && cumulation != null
                        && cumulation.readableBytes() > limits.maxHeadBytes());
        } else {
            read = true;
        }
        if (epollClient != null) {
            // A Connection: close client whose request was read at once, before it joined the
            // loop's epoll set, is not read while that request is at the server (HAProxy does
            // not poll it either): it never joins, which cost an epoll_ctl per such session;
            // a reset meanwhile is seen when the answer is written. One in the set goes on
            // being read (pausing it would cost an epoll_ctl); on io_uring a paused client
            // would need a timer to watch it for a reset.
            boolean quiet = read && state == State.HEAD && exchange && requestDone && closeAfterAnswer
                    && epollClient.outOfEpoll();
            epollClient.mayStayOutOfEpoll(quiet);
            read &= !quiet;
        }
        if (client.config().isAutoRead() != read) {
            PausedReads.set(client, read);
        }
    }

    // Called by the backend handler of the current connection.

    /** The final response (or a 101) began to go out: an error can no longer be answered. */
    void responseStarted() {
        responseStarted = true;
    }

    /** The server's 100 Continue went to the client: its body follows. */
    void continued() {
        bodyAwaitsContinue = false;
    }

    /**
     * The head of the final response arrived; true when the client is still sending the request
     * and its connection ends after this response, which must say {@code Connection: close}
     * (RFC 9112 9.6): an early answer, such as a 413 to an upload. A 2xx from a server that
     * keeps its connection ({@code serverKeeps}) is not such an answer: its server reads the
     * rest ({@link #answeredEarly}), and the client is not told to close, for curl stops
     * sending its upload on a {@code Connection: close} and its server got a cut request (probe Z).
     */
    boolean finalResponseIsEarly(int status, boolean serverKeeps) {
        boolean early = !requestDone;
        earlySuccess = early && status / 100 == 2 && serverKeeps && !bodyAwaitsContinue;
        earlyResponse = early && !earlySuccess;
        return earlyResponse;
    }

    /**
     * Whether {@code from} is the session's current connection and the session goes on: not
     * a connection the session closed or gave up, whose events answer nothing any more.
     */
    boolean serves(HttpBackendHandler from) {
        return link.current(from) && state != State.CLOSED;
    }

    /**
     * The request goes again to a server (another host, or a fresh connection): the session
     * timeout counts from now, as for a request just sent. A GET moved off a host found down
     * 4 s into a 5 s timeout got a 504 a second later, while the new host had it in hand
     * (probe Y).
     */
    void requestResent() {
        session.restartClock();
    }

    /** The first byte of the response arrived: the request will not be resent. */
    void responseBytes(HttpBackendHandler from) {
        if (link.current(from)) {
            link.responseBegan();
        }
    }

    /**
     * The server closed (or reset) the connection before any byte of the response: a request
     * sent over a reused connection that the server was closing as idle, or a server that went
     * away (a fast shutdown resets what it was serving). Resent over a fresh connection
     * when it can be (see {@link BackendLink}), else the session fails.
     */
    void requestLost(HttpBackendHandler from, Throwable cause) {
        if (!link.current(from)) {
            return;
        }
        if (link.replayOnFreshConnection(!(cause instanceof HttpException))) {
            log.debug("relay {}, session {}: {}, request resent", relay.name(), session.id(),
                    RelaySession.describe(cause));
        } else if (cause instanceof HttpException e) {
            serverFailed(from, e);
        } else {
            serverException(from, cause);
        }
    }

    /**
     * The response of the exchange is complete. {@code reusable}: the backend connection may
     * carry the next request; {@code persistent}: by the response, the client's may.
     */
    void responseComplete(HttpBackendHandler from, boolean reusable, boolean persistent) {
        if (!link.current(from) || state == State.CLOSED) {
            return;
        }
        if (!requestDone && reusable && earlySuccess) {
            // A 2xx before the request's end, on a connection its server keeps: it reads the
            // rest, as it would behind HAProxy. Cut, the upload was reset at its server while
            // the client was told it succeeded (probe Y). No next request is read meanwhile:
            // the exchange goes on until the body's end (requestComplete).
            answeredEarly = true;
            answeredPersistent = persistent;
            client.flush();
            return;
        }
        exchangeEnded(reusable, persistent);
    }

    /** The exchange is over: its response complete, and its request too unless it was cut. */
    private void exchangeEnded(boolean reusable, boolean persistent) {
        exchange = false;
        responseStarted = false;
        headParsed = false;
        partialHeadIsHead = false;
        if (!reusable || !requestDone) {
            // The response is written but not flushed: the end of the server's read flushes it,
            // and on io_uring that end did not come once the connection was closed within the
            // read, which left a client that goes on without its response (ServerCloseTest).
            client.flush();
            if (requestDone) {
                link.finish();
            } else {
                // The request it got stays cut: a reset, as for any cut request (a FIN could be
                // read as the end of a body framed by the close, or as an orderly one).
                link.abort();
            }
        }
        if (earlyResponse) {
            // The client may still be sending its request: it is read and dropped for a while
            // instead of being reset, which could destroy the response in flight.
            link.release();
            RelaySession.setReason(client, "done (answered before the request's end)");
            closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
            return;
        }
        answered = true;
        if (!requestDone || !persistent || !persistentRequest) {
            // The connection is free at once for the next session, before the client's close.
            link.release();
            if (pool.closed() && requestDone && persistentRequest) {
                // The relay was replaced and the response said so: a request the client sent
                // before it read that is not served by the old generation's rules and hosts
                // (RFC 9112 9.6); the client sends it again on a new connection.
                endRetired();
            } else if (requestDone && (persistentRequest || cumulation != null)) {
                // The client, which kept its connection, may have sent its next request
                // already: a close with it unread would be a reset, which could destroy the
                // end of this response on its way (probe J: 2 of 3 MB arrived, then a reset).
                RelaySession.setReason(client, "done");
                closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
            } else if (!requestDone) {
                // An early 2xx whose server could not take the rest (its connection failed):
                // the client, still sending, is drained, not reset under its answer.
                RelaySession.setReason(client, "done (answered before the request's end)");
                closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
            } else {
                endAfterFlush();
            }
            return;
        }
        if (pool.closed()) {
            endWhenIdle();
        }
        if (cumulation != null) {
            ByteBuf in = cumulation;
            cumulation = null;
            consume(in);
            flushServer();
        } else {
            updateClientRead();
        }
        if (clientEof && !exchange && state == State.HEAD) {
            // The client sent FIN after its (pipelined) requests: all of them are answered.
            endAfterFlush(finReason());
        } else if (clientEof && exchange && !requestDone) {
            // The FIN came behind a pipelined request whose body it cut short: no more of it
            // can come, and the session would otherwise hold both connections until it idles out.
            endDuringRequest();
        }
        if ((state == State.HEAD || state == State.BODY) && !awaitsResponse()) {
            // No request waits for its response, or a pipelined one waits for the rest of its
            // body: what the client sent meanwhile (that body, its close_notify) goes to the
            // engine. Held while a body was awaited, a close_notify behind a cut request kept
            // the session and its server's connection until the server closed (framefuzz).
            releaseDeferredClose();
        }
    }

    /** Whether the request is whole at its server and its response still to come ({@link CloseNotifyDefer}). */
    boolean awaitsResponse() {
        return exchange && requestDone && state == State.HEAD;
    }

    /**
     * Lets a TLS client's record held as a possible close_notify go to the engine
     * ({@link CloseNotifyDefer}): the response is flushed first, through the engine, which a
     * close_notify then closes.
     */
    private void releaseDeferredClose() {
        if (deferredClose != null && deferredClose.holding()) {
            client.flush();
            deferredClose.release();
        }
    }

    /**
     * Host state changed ({@link HttpRelayInitializer#hostsChanged}). A request that waits for
     * the first byte of its response from a host its check found down, and could be resent (no
     * body, idempotent method: {@link BackendLink#recordForReplay}), goes to the next host that
     * may get sessions at once: a server that stopped (SIGSTOP, a hung process, a dropped
     * route) had the request accepted by its kernel and would answer it never, so the client
     * waited out its own timeout or the relay's. A host the operator disabled is drained, not
     * failed: its requests finish there (a slow report is not computed twice because of a
     * maintenance). Any other request is left to its host. A connect still in progress is the
     * selector's business ({@code PendingConnects}).
     */
    void hostsChanged() {
        if (state == State.CLOSED || !exchange || responseStarted || !link.connected()) {
            return;
        }
        TargetHost lost = link.host();
        if (lost == null || lost.natLookup() || !relay.selector().failed(lost) || !relay.selector().othersTake(lost)) {
            // With no other host up the request waits on: a host marked down may still answer.
            return;
        }
        if (link.replayOnNextHost("down while the request waited for the response")) {
            log.debug("relay {}, session {}: {} went down while the request waited for its response,"
                    + " request resent to {}", relay.name(), session.id(), lost, link.host());
        }
    }

    /**
     * The relay stopped ({@link HttpRelayInitializer#retire}). The session ends between
     * exchanges: a response whose head has not gone out says {@code Connection: close} (so does
     * the response to a request that comes later) and ends the session, with the requests the
     * client sent behind it unserved, and a session still idle {@link #RETIRE_IDLE_MS} after a
     * response is closed. Closing at once a session that has
     * just answered would meet the next request of a busy client on its way; a client not yet
     * past its first request is never closed unanswered.
     */
    void relayRetired() {
        if (state == State.TUNNEL || state == State.CLOSED) {
            return;
        }
        // No handler: a request cut by its client, whose server is reset already (endDuringRequest).
        if (exchange && !responseStarted && link.handler() != null) {
            link.handler().closeClientAfterResponse();
        }
        endWhenIdle();
    }

    private void endWhenIdle() {
        if (retireCheck) {
            return;
        }
        try {
            client.eventLoop().schedule(this::endIfIdle, RETIRE_IDLE_MS, TimeUnit.MILLISECONDS);
            retireCheck = true;
        } catch (RejectedExecutionException e) {
            // The engine is shutting down and closes the session itself.
        }
    }

    private void endIfIdle() {
        retireCheck = false;
        if (state == State.CLOSED || state == State.TUNNEL || !client.isActive()) {
            // A tunnel runs to its end, as a TCP relay's session does.
            return;
        }
        if (state == State.HEAD && !exchange && answered && cumulation == null) {
            link.release();
            endRetired();
        } else {
            endWhenIdle();
        }
    }

    /**
     * Ends a session of a replaced relay between exchanges: a half-close and a short drain, so
     * that a request crossing the close meets a FIN, which clients answer by retrying on a new
     * connection, not a reset that could destroy the last response.
     */
    private void endRetired() {
        // Why from the pool, closed first: a response may end before relayRetired runs here.
        RelaySession.setReason(client, "done (" + pool.closedWhy() + ")");
        closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
    }

    private void endAfterFlush() {
        endAfterFlush("done");
    }

    /**
     * Ends the session after its last answer, as {@link #closeLingering}: a client that said
     * Connection: close may still send (an empty line, a TLS 1.3 KeyUpdate), and a close with
     * that unread was a reset that cut the answer on its way, logged as done (probe W). One
     * that sent FIN is closed at once.
     */
    private void endAfterFlush(String reason) {
        RelaySession.setReason(client, reason);
        closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
    }

    /** A 101 answered the exchange's upgrade request: relay raw bytes both ways from now on. */
    void startTunnel(HttpBackendHandler from) {
        if (!link.current(from)) {
            return;
        }
        state = State.TUNNEL;
        exchange = false;
        timer.headDone();
        if (cumulation != null) {
            toServer(cumulation);
            cumulation = null;
            flushServer();
        }
        if (clientEof) {
            link.shutdownOutputOnFlush();
        }
        // What the client sent after its request belongs to the tunnel too, after what the
        // relay had read of it already.
        releaseDeferredClose();
        updateClientRead();
    }

    /** The server sent FIN on a tunnel: pass it on (TLS clients get close_notify instead). */
    void tunnelServerEof(HttpBackendHandler from) {
        if (!link.current(from)) {
            return;
        }
        if (clientEof) {
            RelaySession.setReason(client, "done");
            RelaySession.closeOnFlush(client);
            // What the client sent before its FIN may still be queued: the server gets it all
            // (closed at once, it read 14 of 48 KiB and then an orderly end; review CC).
            link.finish();
        } else if (client.pipeline().get(SslHandler.class) != null) {
            // No half-close over TLS: close_notify after the rest, and the connection closed
            // once the client has taken it all; what it sends meanwhile is read and dropped
            // (state CLOSED). Closed at once, a frame it sent then made the kernel reset the
            // connection and drop what it had not received (probe T, of TCP relays).
            RelaySession.setReason(client, "done");
            state = State.CLOSED;
            link.finish();
            RelaySession.closeTlsWhenTaken(client, relay);
        } else {
            tunnelServerEof = true;
            RelaySession.shutdownOutputOnFlush(client);
        }
    }

    /**
     * The idle connection taken for the request in flight (from the pool, or the session's own)
     * turned out stale before the request went out on it (the server sent bytes, FIN or a reset
     * while it was idle): the request goes over a fresh connection instead.
     */
    void idleConnectionStale(HttpBackendHandler from) {
        if (link.current(from)) {
            log.debug("relay {}, session {}: idle connection stale, connecting afresh", relay.name(), session.id());
            link.replaceStale();
            // The client waits for the connect, as for any.
            updateClientRead();
        }
    }

    /**
     * The server sent bytes that answer nothing ({@code what}); the close line says so, the
     * first such event and how many there were (it said the first alone, of twelve).
     */
    void serverSentStray(String what) {
        if (++strays == 1) {
            firstStray = what;
            strayNote = what;
            RelaySession.note(client, what);
        } else {
            // The note is replaced only while it is this one (compared as the same String).
            String was = strayNote;
            strayNote = firstStray + "; stray bytes after " + strays + " responses in all";
            RelaySession.replaceNote(client, was, strayNote);
        }
    }

    /** The backend connection closed while idle between exchanges: the next request reconnects. */
    void serverGone(HttpBackendHandler from) {
        if (link.current(from) && !exchange && state != State.TUNNEL) {
            link.forget();
            updateClientRead();
        } else if (link.current(from)) {
            serverFailed(from, new HttpException(502, "server closed the connection"));
        }
    }

    /** The final response failed before any of it went to the client: it can still be answered. */
    void serverFailedBeforeResponse(HttpBackendHandler from, HttpException e) {
        if (link.current(from)) {
            responseStarted = false;
        }
        serverFailed(from, e);
    }

    /** The response failed: a 502 if nothing of it reached the client yet, else a close. */
    void serverFailed(HttpBackendHandler from, HttpException e) {
        if (link.current(from)) {
            fail(e);
        }
    }

    void clientWritabilityToServer() {
        link.read(client.isWritable());
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        clientWritabilityToServer();
        ctx.fireChannelWritabilityChanged();
    }

    void serverWritabilityChanged(HttpBackendHandler from) {
        if (link.current(from) && client != null) {
            updateClientRead();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            if (!clientEof && state != State.CLOSED && TcpInfo.resetAtEndOfInput(client)) {
                // A reset whose error a write to the client took: not a half-close.
                exceptionCaught(ctx, TcpInfo.resetByPeer());
                return;
            }
            SSLException cut = state == State.TUNNEL && !clientEof ? TlsRecordEdge.truncation(client) : null;
            if (RelaySession.inTlsHandshake(ctx.channel())) {
                // Closed at once as any client that leaves between requests, named for what it is.
                clientEof = true;
                tlsHandshakeFailed(RelaySession.CLOSED_IN_HANDSHAKE);
            } else if (cut != null) {
                // A truncation, not a half-close: the tunnel's server must not take its stream
                // as whole (a request or a body cut so is found by the framing).
                noteError("client", cut);
                clientEof = true;
                state = State.CLOSED;
                abortTunnelServer();
                RelaySession.abortOnFlush(client);
            } else if (!clientEof) { // not a FIN after a close_notify
                clientEof();
            }
            return;
        }
        if (evt instanceof SslHandshakeCompletionEvent hs && !hs.isSuccess()) {
            // Netty's own handshake limit (10 s) and the first head's run out together for a
            // client that stalls in its handshake: the reason is named here, before Netty closes
            // the connection, which would otherwise read as a finished session or a 408.
            tlsHandshakeFailed(RelaySession.describeHandshakeFailure(hs.cause()));
            return;
        }
        if (evt instanceof SslCloseCompletionEvent closed && closed.isSuccess() && !clientEof) {
            // close_notify is the TLS client's FIN, whether or not a TCP FIN follows: a client
            // may send it and keep the connection open, waiting for ours. BoringSSL has answered
            // it with its own already, TLS 1.3 as 1.2, so nothing more can reach the client.
            // The JDK's engine has not (TLS 1.3): a half-close, as a FIN.
            if (RelaySession.closeNotifyAnswered(ctx)) {
                clientClosedTls();
            } else {
                closeNotifyAsFin = true;
                clientEof();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * The TLS client sent close_notify and the engine closed both directions: the session ends.
     * One sent after a whole request comes here once the response is out ({@link CloseNotifyDefer}).
     * A response under way, or a tunnel, cannot be sent on: the client is reset, which drops the
     * engine's close_notify ({@link org.hoststated.relay.handler.CloseNotifyHold}), since that
     * would vouch for the cut stream as whole (a body read until the close). Otherwise no part
     * of an answer is lost, and the close_notify goes.
     */
    private void clientClosedTls() {
        if (answeredEarly && state != State.CLOSED) {
            // Within the body that follows an early answer: a cut request, its server reset
            // (it got a FIN, and took the cut body for whole; probe Z).
            cutAfterAnswer("client closed during the request (close_notify)");
            return;
        }
        boolean cut = state == State.TUNNEL || exchange && responseStarted && state != State.CLOSED;
        if (cut) {
            boolean tunnel = state == State.TUNNEL;
            RelaySession.setReason(client, tunnel ? "client closed the tunnel (close_notify)"
                    : "client closed during the response (close_notify; response cut short)");
            state = State.CLOSED;
            if (tunnel) {
                // The client ended its stream whole: what it sent before (still queued for
                // the server) goes first, then a FIN, as after a plain client's FIN. A close
                // at once dropped it behind a FIN that vouched for the cut stream.
                link.closeOnFlush();
            } else {
                closeServer();
            }
            RelaySession.abortOnFlush(client);
        } else {
            if (exchange) {
                // The request in flight is dropped, and its connection with it, before the
                // client sees its close: the server's part of the session is over by then. A
                // request cut short is named so, and its server reset, as after a FIN.
                RelaySession.setReason(client, requestDone ? "closed by client"
                        : "client closed during the request (close_notify)");
                state = State.CLOSED;
                if (requestDone) {
                    closeServer();
                } else {
                    link.abort();
                }
                client.close();
            } else {
                // Between requests, as a FIN there ("done" once one was answered). The last
                // response may still be on its way out (a close_notify held until it was
                // flushed, CloseNotifyDefer).
                RelaySession.setReason(client, finReason());
                RelaySession.closeOnFlush(client);
            }
        }
    }

    /**
     * The client sent FIN. Its connection closes once what is queued for it is written: a FIN
     * says the client sends no more, not that it reads no more, and a close now would drop the
     * end of a response the relay still holds for a slow reader.
     */
    private void clientEof() {
        clientEof = true;
        if (session == null) {
            client.close();
        } else if (state == State.CLOSED) {
            RelaySession.closeOnFlush(client);
        } else if (state == State.TUNNEL && tunnelServerEof) {
            // Both sides have sent FIN: the tunnel is over once the last bytes are out both ways.
            RelaySession.setReason(client, "done");
            link.closeOnFlush();
            RelaySession.closeOnFlush(client);
        } else if (state == State.TUNNEL) {
            link.shutdownOutputOnFlush();
        } else if (exchange && requestDone) {
            // The answer is on its way; the session ends after it.
            return;
        } else if (exchange) {
            endDuringRequest();
        } else {
            RelaySession.setReason(client, finReason());
            RelaySession.closeOnFlush(client);
        }
    }

    /**
     * What a client's FIN between requests ended: a head begun and cut, or no request at all
     * (a port probe), is named for what it is; "done" read as a session served.
     */
    private String finReason() {
        int cut = cumulation == null ? 0 : cumulation.readableBytes();
        return cut > 0 ? "client closed within a request head (" + cut + " bytes of it)"
                : anyRequest ? "done" : "closed by client before any request";
    }

    /** The client's FIN (or its half-closing close_notify) came before the end of the request being relayed. */
    private void endDuringRequest() {
        if (answeredEarly) {
            cutAfterAnswer(closedDuringRequest(null));
        } else if (responseStarted) {
            // Its early response is under way and cannot end now: cut short, with a reset as
            // any other (a FIN would end a body read until the close as if it were whole).
            reset(closedDuringRequest("response cut short"));
        } else {
            RelaySession.setReason(client, closedDuringRequest(null));
            link.abort(); // a cut request: a FIN would end it as if it were whole
            RelaySession.closeOnFlush(client);
        }
    }

    /** "client closed during the request", with how (a close_notify) and {@code what} followed in brackets. */
    private String closedDuringRequest(String what) {
        String how = closeNotifyAsFin ? what == null ? "close_notify" : "close_notify; " + what : what;
        return how == null ? "client closed during the request" : "client closed during the request (" + how + ")";
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (session == null) {
            return;
        }
        RelaySession.setReason(client, "closed by client");
        session.done();
        releaseServer();
        state = State.CLOSED;
        timer.stop();
        if (cumulation != null) {
            cumulation.release();
            cumulation = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        noteError("client", cause);
        boolean tunnel = state == State.TUNNEL;
        state = State.CLOSED;
        if (tunnel) {
            abortTunnelServer();
        } else if (exchange) {
            // The server of a request under way is reset, as the other side of any failed one:
            // a FIN would end a cut request as if it were whole, and read after a whole one as
            // the client's half-close, the server did the work for a client gone (probe O F4
            // of session 59).
            link.abort();
        } else {
            closeServer();
        }
        RelaySession.endFailed(client);
    }

    /**
     * Resets a tunnel's server after what is queued for it, as a TCP relay's server is when
     * its client fails: a tunnel has no framing of its own, and a FIN would end its stream as
     * if it were whole.
     */
    private void abortTunnelServer() {
        Channel ch = link.channel();
        link.forget();
        if (ch != null) {
            RelaySession.abortOnFlush(ch);
        }
    }

    void serverException(HttpBackendHandler from, Throwable cause) {
        if (!link.current(from)) {
            return;
        }
        if (state == State.CLOSED || state == State.TUNNEL) {
            // A tunnel's reset is no response cut short: the reason alone, as in a TCP relay.
            noteError("server", cause);
        } else {
            // fail's reason, not noteError's: the close line says what the client got (a 502,
            // or a response cut short), as for a server that closes.
            warnUnexpected("server", cause);
        }
        fail(new HttpException(502, "server: " + RelaySession.describe(cause)));
    }

    private void noteError(String side, Throwable cause) {
        warnUnexpected(side, cause);
        RelaySession.setReason(client, RelaySession.failure(client, side, cause));
    }

    private void warnUnexpected(String side, Throwable cause) {
        if (!(cause instanceof IOException) && !(cause instanceof DecoderException)) {
            log.warn("relay {}, session {}: {} side", relay.name(), session != null ? session.id() : 0, side, cause);
        }
    }

    /**
     * Ends the session because of {@code e}: answers the client with e's status unless part of
     * a response already went out (or a rule refused without {@code return error}), then closes.
     * The client may go on sending for a moment (reading it then avoids a reset that would
     * destroy the answer in flight).
     */
    void fail(HttpException e) {
        if (state == State.CLOSED) {
            return;
        }
        if (answeredEarly) {
            cutAfterAnswer(e.getMessage());
            return;
        }
        boolean bodyUnderWay = state == State.BODY;
        state = State.CLOSED;
        timer.headDone();
        if (bodyUnderWay) {
            // The server has part of the request (a chunked upload refused at a bad chunk): a
            // FIN would end it as if it were whole (probe AM), as for a client that left then.
            link.abort();
        } else {
            closeServer();
        }
        if (responseStarted) {
            // A reset, so that the client cannot take the response for a whole one (one that
            // ends at the close, or over TLS, where close_notify vouches for it); after what
            // the server sent before it failed, within a bound (a client may read nothing).
            RelaySession.setReason(client, e.getMessage() + " (response cut short)");
            RelaySession.abortOnFlush(client);
            return;
        }
        if (e.rule() && !rules.returnError) {
            // Silent, but after what is queued: a refused pipelined request comes right after
            // the response before it, which may still wait for its flush.
            RelaySession.setReason(client, e.getMessage() + " (closed)");
            closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
            return;
        }
        if (HttpHead.HTTP2_PREFACE.equals(e.getMessage())) {
            RelaySession.setReason(client, e.getMessage() + " (" + Http2Refusal.ANSWER + ")");
            closeLingering(client.writeAndFlush(Http2Refusal.frames(client.alloc())));
            return;
        }
        RelaySession.setReason(client, e.getMessage() + " (" + e.status() + " " + ErrorPage.reason(e.status()) + ")");
        closeLingering(client.writeAndFlush(page(e.status(), e.page(), e.label())));
    }

    /**
     * Ends the session once {@code written}, the last response, is out: half-closes, then reads
     * and drops what the client still sends until it is quiet ({@link LingeringClose}) before
     * the close (RFC 9112 9.6). Closing with unread bytes would make the kernel send a reset,
     * which can destroy the response before the client read it.
     */
    private void closeLingering(ChannelFuture written) {
        state = State.CLOSED;
        written.addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess() || clientEof || !(client instanceof DuplexChannel d)) {
                client.close();
            } else if (client.pipeline().get(SslHandler.class) == null) {
                // The client's FIN closes it now: Netty would first shut its input, a system
                // call the kernel refuses once both FINs are through (ENOTCONN, which Netty makes
                // an exception with a stack trace, 1.8 % of the relay's CPU in the Connection:
                // close benchmark), then tell this handler, which closed.
                if (d instanceof SocketChannel s) {
                    s.config().setAllowHalfClosure(false);
                }
                HalfClose.shutdownOutput(d);
                lingering = LingeringClose.start(client);
            } else {
                // Over TLS, close_notify, then the close once the client has taken the answer:
                // closed at once while it still sent (the rest of a refused upload), the kernel
                // reset the connection and dropped what it had not sent of the answer yet.
                RelaySession.closeTlsWhenTaken(client, relay);
            }
        });
        updateClientRead();
    }

    private ByteBuf page(int status, String detail, String label) {
        return ErrorPage.render(client.alloc(), status, rules.returnError, rules.errorStyle, detail, label,
                (InetSocketAddress) client.localAddress(), !answersHead());
    }

    /**
     * Whether the request answered is a HEAD: the parsed head's method, or for a head refused
     * before it was whole (414, 431, 408), the method it begins with; nothing read yet answers none.
     */
    private boolean answersHead() {
        return headParsed ? head.methodHead : partialHeadIsHead;
    }

    private static final byte[] HEAD_METHOD = {'H', 'E', 'A', 'D', ' '};

    /** {@code in} begins with "HEAD ": a request line whose answer has no content. */
    static boolean startsWithHeadMethod(ByteBuf in) {
        if (in.readableBytes() < HEAD_METHOD.length) {
            return false;
        }
        for (int i = 0; i < HEAD_METHOD.length; i++) {
            if (in.getByte(in.readerIndex() + i) != HEAD_METHOD[i]) {
                return false;
            }
        }
        return true;
    }

    private void closeServer() {
        link.close();
    }

    @Override
    public long heldBytes() {
        return RelaySession.pendingBytes(client) + RelaySession.pendingBytes(link.channel());
    }

    @Override
    public void shed(String reason) {
        reset(reason);
    }

    @Override
    public void stop(String reason) {
        if (state == State.HEAD && !exchange && cumulation == null) {
            // Between exchanges: a FIN, which a keep-alive client answers by reconnecting.
            RelaySession.setReason(client, reason);
            state = State.CLOSED;
            closeServer();
            client.close();
        } else {
            reset(reason);
        }
    }

    /**
     * Ends the session with a reset: what it held is dropped, and a FIN (or close_notify) would
     * end a response read until the close, or a tunnel, as if it were whole.
     */
    private void reset(String reason) {
        RelaySession.setReason(client, reason);
        state = State.CLOSED;
        closeServer();
        RelaySession.abort(client);
    }

    /** The session ends: its backend connection goes back to the pool if it is between exchanges. */
    private void releaseServer() {
        if (!exchange && state != State.TUNNEL && state != State.CLOSED) {
            link.release();
        } else {
            link.close();
        }
    }

    /** How a session timeout that cuts a response the client has not taken is logged. */
    private static final String TIMEOUT_CUT = "session timeout within the response (response cut short)";

    /**
     * Nothing moved either way for the session {@code timeout} (called by the session's
     * timer). A request sent whole and still unanswered gets a 504, as from any gateway whose
     * server did not answer in time; a response under way is cut short as any other (a reset:
     * a FIN would end a body read until the close, or one over TLS, as if it were whole; at
     * once when the client has not taken what was sent to it); a request cut by its client's
     * silence resets its server and gets a 408; the 408 and 504 go only to a client that took
     * all it was sent, else it is reset; otherwise the session just closes. A server that has
     * not taken what was sent to it is reset, as a TCP relay's is
     * ({@link RelaySession#endTimedOutServer}): a FIN queued behind an upload it stopped
     * reading left an orphan connection holding the kernel's send buffer.
     */
    void sessionTimeout() {
        Channel server = link.channel();
        // A server that stopped taking the request's body is reset now; the client, held back
        // by it, is closed below, not answered.
        boolean serverStalled = RelaySession.endTimedOutServer(server);
        if (server != null && !server.isOpen()) {
            // Reset: its close concerns the session no more (a 502 for a lost request).
            closeServer();
        }
        boolean took = RelaySession.tookEverything(client);
        if (answeredEarly && state != State.CLOSED) {
            // The client went quiet within the body after its answer: a cut request.
            answeredEarly = false;
            link.abort();
            state = State.CLOSED;
            RelaySession.setReason(client, "session timeout within the request (after the answer)");
            RelaySession.closeTimedOut(client, took);
            return;
        }
        if (exchange && state != State.CLOSED && state != State.TUNNEL) {
            if (responseStarted && !took) {
                // The client took nothing for a whole timeout: the grace that a response cut by
                // its server gives the client to take what is held (StreamCut) would only keep
                // the session, and those bytes, 5 s longer; it is reset below.
                state = State.CLOSED;
                closeServer();
                RelaySession.setReason(client, TIMEOUT_CUT);
            } else if (responseStarted) {
                fail(new HttpException(504, "session timeout within the response"));
                return;
            } else if (!requestDone && serverStalled) {
                state = State.CLOSED;
            } else {
                if (!requestDone) {
                    // The client went quiet within its request's body: the server cannot serve
                    // a cut request, and a FIN would end it as if it were whole (as at the
                    // client's own FIN).
                    link.abort();
                }
                // A client that waits for the 100 Continue it asked for, as RFC 9110 10.1.1 lets
                // it, waits for the server, not the other way round: a 504, as HAProxy answers,
                // not a 408 that blames the client and invites it to try again (probe AS).
                HttpException answer = requestDone ? new HttpException(504, "session timeout waiting for the server")
                        : bodyAwaitsContinue ? new HttpException(504, "session timeout waiting for the server's 100 Continue")
                        : new HttpException(408, "session timeout within the request");
                if (took) {
                    fail(answer);
                    return;
                }
                // Nor did the client take what it was sent (a pipelined response): the page would
                // wait behind it, with no timer left to end a write that never completes. Reset.
                // With the request sent, the relay had stopped reading the server for this client
                // that took nothing: the client is what the session waited for, not the server
                // (the line sent the operator to the server, probe R).
                state = State.CLOSED;
                closeServer();
                RelaySession.setReason(client, requestDone
                        ? "session timeout: the client took nothing of what it was sent (client reset)"
                        : answer.getMessage() + " (client reset: it took nothing)");
            }
        }
        if (state == State.CLOSED && !took) {
            // A response complete in the relay (ended by the server's close) but not taken:
            // the reset that follows cuts it.
            RelaySession.replaceReason(client, "done", TIMEOUT_CUT);
        }
        if (!exchange && !took) {
            // The last exchange's answer, all of it in the kernel's buffers (epoll's writes put
            // a 4 MB one there) but not taken: the reset cuts it too, and the line must not read
            // as a whole answer's (probe AS: "4194372 bytes to client, session timeout" for
            // 129 KB taken).
            RelaySession.setReason(client, TIMEOUT_CUT);
        }
        RelaySession.setReason(client, RelaySession.sessionTimeoutReason(client));
        RelaySession.closeTimedOut(client, took);
    }

    /** Part of a response head came ({@link HttpSessionTimer#responseHeadStarted}). */
    void responseHeadStarted() {
        timer.responseHeadStarted();
    }

    void responseHeadDone() {
        timer.responseHeadDone();
    }

    /** A response head begun was not complete within the relay timeout: 504, the server closed. */
    void responseHeadTimeout() {
        if (state != State.CLOSED && state != State.TUNNEL) {
            fail(new HttpException(504, "response head not complete within the timeout ("
                    + relay.config().timeoutSec() + " s)"));
        }
    }

    /**
     * {@link #headTimeout}, at the session timeout, when no timer is left to end a page that
     * never goes out: only for a client that took all it was sent; false for one that did not
     * (a pipelined response unread), which {@link #sessionTimeout} then resets.
     */
    boolean headTimeoutAtSessionTimeout() {
        return RelaySession.tookEverything(client) && headTimeout();
    }

    /**
     * The request head awaited did not arrive in time (called by the session's timer, at the
     * head limit or at the relay timeout when that comes first); false when no head was awaited
     * after all (a request under way), and nothing was done.
     */
    boolean headTimeout() {
        if (state != State.HEAD || exchange) {
            return false;
        }
        SslHandler tls = client.pipeline().get(SslHandler.class);
        if (tls != null && !tls.handshakeFuture().isSuccess()) {
            // No HTTP answer can reach a client that never finished its handshake (or whose
            // handshake Netty has just failed, its close still to come).
            tlsHandshakeFailed(RelaySession.HANDSHAKE_TIMED_OUT);
            return true;
        }
        if (anyRequest && (cumulation == null
                || cumulation.readableBytes() == 1 && cumulation.getByte(cumulation.readerIndex()) == HttpHead.CR)) {
            // Nothing but empty lines since the last response: no request to answer, and a 408
            // could cross the client's next one. Closed as an idle connection is.
            RelaySession.setReason(client, "timeout: only empty lines since the last response");
            closeLingering(client.writeAndFlush(Unpooled.EMPTY_BUFFER));
            return true;
        }
        fail(new HttpException(408, "timeout reading the request head"));
        return true;
    }

    /** The client's TLS handshake failed ({@code why}): it is closed, with no HTTP answer. */
    private void tlsHandshakeFailed(String why) {
        RelaySession.setReason(client, why);
        state = State.CLOSED;
        client.close();
    }
}
