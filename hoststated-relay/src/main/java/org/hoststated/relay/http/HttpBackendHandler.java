package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.ChannelOutputShutdownException;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import org.hoststated.relay.ReceiveRing;
import org.hoststated.relay.handler.RelaySession;
import org.hoststated.relay.handler.TcpInfo;
import org.hoststated.relay.lb.TargetHost;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server side of one HTTP relay session, for one backend connection: the only handler of
 * the backend channel, on the client channel's worker loop (so it shares the session's state
 * with {@link HttpFrontendHandler} without locks). Reads each response strictly (a malformed
 * one is a 502), applies the protocol's response rules to its head, forwards interim 1xx
 * responses, streams the body to the client as slices, and tells the frontend when the
 * response is complete and whether the connection may carry another request. A 101 to an
 * upgrade request turns the session into a tunnel of raw bytes.
 *
 * <p>The handler stays with its connection for the connection's life: when a session parks the
 * connection in its loop's {@link IdleBackends}, the handler belongs to no session and closes
 * the connection on anything the server does (it removes itself from the pool when closed);
 * the session that takes it next {@link #attach}es itself. Whenever the idle connection is to
 * carry another request (of a new session, or the next of its own), anything the server does
 * until the {@link BackendLink} has vetted it (after the loop's current batch of I/O events)
 * means the connection is stale: the session is told, and takes a fresh one.
 */
final class HttpBackendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(HttpBackendHandler.class);
    private enum State { IDLE, HEAD, BODY, TUNNEL }

    private static final byte[] CRLF = {HttpHead.CR, HttpHead.LF};
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The session using the connection; null while the connection is parked. */
    private HttpFrontendHandler session;
    private Channel channel;
    private final HttpHead head = new HttpHead();
    private final HeadScanner scanner = new HeadScanner(502);
    private final ChunkedFramer chunked;
    private final BodyFramer.Fixed fixed = new BodyFramer.Fixed();
    private State state = State.IDLE;
    private BodyFramer body;
    private ByteBuf cumulation;
    private boolean headRequest;
    /** The protocols the request in flight offered to switch to (its Upgrade fields); null when it asks no upgrade. */
    private String upgradeOffer;
    private boolean http10Request;
    /** The connection to the server may carry another request after this response. */
    private boolean persistent;
    /** The request in flight told the server to close (a rule wrote {@code Connection: close}). */
    private boolean closeServer;
    /** The client's connection may carry another request after this response (its end is framed). */
    private boolean clientPersistent;
    private boolean done;
    /**
     * The server authenticated this connection for its client ({@link HttpHead#connectionAuth}):
     * it serves that client's session alone, and is closed, never parked, when the session ends
     * (it was given to the next client with the first one's login, probe AX).
     */
    private boolean clientBound;
    /** Bytes [fwdFrom, fwdTo) of fwdBuf go to the client as one slice (head and body together). */
    private ByteBuf fwdBuf;
    private int fwdFrom;
    private int fwdTo;
    /**
     * A copy of the rest of the read's body, or null: from a chunk line ending in a bare LF
     * on, with a CR after each such LF ({@link #mendCr}), or from where the body's bytes
     * stopped following on from each other ({@link #forwardBody}); what {@link #forward} gives
     * until the next {@link #emit}, which writes it as one buffer. Mended with a slice and a
     * one-byte CR for each line, a body of tiny chunks queued four buffers a chunk for the
     * client, 10.8 MB for 1 MiB (review CI).
     */
    private ByteBuf mended;
    private boolean inputClosed;
    /** The response of the request in flight has not sent a byte yet. */
    private boolean awaitingFirstByte;
    /** A write to the server failed while what it sent could still be read ({@link #exceptionCaught}). */
    private Throwable writeFailure;
    /** An interim (1xx) response to the request in flight was passed on; the final one is awaited. */
    private boolean interimSent;
    /** Interim responses to the request in flight so far. */
    private int interims;
    /**
     * Interim responses a request may get: each is a whole head, so a server that sent 1xx heads
     * for ever held its client past every timeout (probe F: 71 in 35 s under {@code timeout
     * 10}; HAProxy forwards them without end too). 100 leaves room for a 100 Continue, Early
     * Hints, and a 102 Processing every 20 s for half an hour.
     */
    static final int MAX_INTERIMS = 100;
    /**
     * The buffer of this read where a final response's head starts unchanged, and where; or
     * null. For a head the rules rewrote, where its body starts.
     */
    private ByteBuf finalHeadIn;
    private int finalHeadAt;
    /**
     * The final response's head as the rules rewrote it, held like {@link #fwdBuf} until the
     * next {@link #emit}, so that a fault in the same read can still drop it for a 502.
     */
    private ByteBuf editedHead;
    /** The client's connection ends after this response: tell it so (the server was asked to keep-alive). */
    private boolean closeClient;
    /**
     * The final response is chunked and the request HTTP/1.0, whose client cannot read chunked
     * (the server should not have sent it, RFC 9112 6.1): the client gets the chunks' data
     * alone, which ends at the close of its connection, as nginx does.
     */
    private boolean dechunk;
    /**
     * The final response's body ends at the server's close, and its client, on HTTP/1.1, keeps
     * its connection: the body goes to it chunked (each read one chunk) and the close becomes
     * the last chunk, as nginx and HAProxy re-frame such a body (an HTTP/1.0 response's status
     * line then says HTTP/1.1). A response to HTTP/1.0 keeps its framing.
     */
    private boolean rechunk;
    /** Where {@link #dechunk}ed data goes: {@link #forwardBody}. */
    private final ChunkedFramer.Data chunkData = this::forwardBody;
    /** Responses this connection carried completely, for any session. */
    private int exchanges;
    /** Where the connection is parked, or null; with the host it is parked under and since when. */
    private IdleBackends parkedIn;
    private TargetHost parkedHost;
    private long parkedSince;
    /**
     * Idle, taken for a request that is not written on it yet: bytes, a FIN or a
     * reset now were sent before its request and answer nothing ({@link BackendLink#vet}).
     */
    private boolean vetting;

    HttpBackendHandler(HttpFrontendHandler session) {
        this.session = session;
        this.chunked = new ChunkedFramer(502, session.limits().maxHeadBytes(), session.limits().maxHeaderFields(), true,
                session.responseTrailers());
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        channel = ctx.channel();
    }

    Channel channel() {
        return channel;
    }

    /** Whether the connection carried a complete exchange before (it is not fresh). */
    boolean reused() {
        return exchanges > 0;
    }

    /**
     * Whether the connection can carry another request of any session: the last response was
     * complete and persistent, nothing else arrived, the server has not closed.
     */
    boolean reusable() {
        return state == State.IDLE && persistent && !done && !inputClosed && cumulation == null && channel.isActive();
    }

    /** The connection carries its session's authentication: it is that client's alone. */
    void bindToClient() {
        clientBound = true;
    }

    boolean boundToClient() {
        return clientBound;
    }

    /** The connection is parked in {@code idle}: it belongs to no session from now on. */
    void parkIn(IdleBackends idle, TargetHost host, long since) {
        session = null;
        parkedIn = idle;
        parkedHost = host;
        parkedSince = since;
        channel.config().setAutoRead(true);
    }

    void unpark() {
        parkedIn = null;
        parkedHost = null;
    }

    long parkedSince() {
        return parkedSince;
    }

    /** {@code s} takes over the (unparked) connection. */
    void attach(HttpFrontendHandler s) {
        session = s;
    }

    /** The idle connection is about to carry a request, which waits until {@link #vetted}. */
    void onTrial() {
        vetting = true;
    }

    boolean vetting() {
        return vetting;
    }

    /** The connection was idle and open when the session was about to use it: it is the session's. */
    void vetted() {
        vetting = false;
    }

    /** The session gave the connection up (stale): nothing it does any more concerns a session. */
    void drop() {
        vetting = false;
        done = true;
        session = null;
    }

    /** The server did something while the connection was on trial: it is stale. */
    private void staleWhileVetting(ChannelHandlerContext ctx) {
        HttpFrontendHandler s = session;
        drop();
        ctx.close();
        s.idleConnectionStale(this);
    }

    /** Whether the server sent FIN (its channel must not be asked to read any more). */
    boolean inputClosed() {
        return inputClosed;
    }

    /** A request was sent: its response comes next. */
    void expectResponse(boolean isHead, String offersUpgrade, boolean isHttp10, boolean closesClient) {
        state = State.HEAD;
        scanner.reset();
        headRequest = isHead;
        upgradeOffer = offersUpgrade;
        http10Request = isHttp10;
        closeClient = closesClient;
        closeServer = false;
        awaitingFirstByte = true;
        interimSent = false;
        interims = 0;
        rechunk = false;
    }

    /** The client's connection ends after the response awaited: its head says so. */
    void closeClientAfterResponse() {
        closeClient = true;
    }

    /**
     * The request awaiting its response told the server to close the connection after it
     * (RFC 9112 9.6): it carries no other request, whatever the response says.
     */
    void closeServerAfterResponse() {
        closeServer = true;
    }

    /** A connect failed and is retried: the new connection's handler awaits this response. */
    void moveExpectationTo(HttpBackendHandler next) {
        // The request's credentials go with it: the new connection is its client's as this one
        // was, or a login it makes at once (Kerberos) reached the next client from the pool
        // (probe CA: after a failover and after an idle race).
        next.clientBound |= clientBound;
        if (state == State.HEAD) {
            next.expectResponse(headRequest, upgradeOffer, http10Request, closeClient);
            next.closeServer = closeServer;
        }
        state = State.IDLE;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (session == null) {
            // Parked: bytes nobody asked for; the connection cannot be trusted any more. No
            // session's close line can tell of it (probe U): a debug line does.
            log.debug("server {} ({}) sent {} bytes on an idle connection kept for reuse; closed", parkedHost,
                    channel.remoteAddress(), in.readableBytes());
            in.release();
            ctx.close();
            return;
        }
        if (vetting) {
            in.release();
            staleWhileVetting(ctx);
            return;
        }
        session.serverTraffic();
        if (done) {
            in.release();
            return;
        }
        if (awaitingFirstByte) {
            awaitingFirstByte = false;
            session.responseBytes(this);
        }
        if (state == State.TUNNEL) {
            session.toClient(in);
            return;
        }
        if (cumulation != null) {
            in = ReceiveRing.merge(cumulation, in, ctx.alloc());
            cumulation = null;
        }
        finalHeadIn = null;
        try {
            process(ctx, in);
            emit();
        } catch (HttpException e) {
            done = true;
            if (headNotSent()) {
                // This read brought the final response's head and its fault: none of it went
                // out, so the client gets a 502 rather than a cut response (or nothing).
                if (editedHead != null) {
                    editedHead.release();
                    editedHead = null;
                }
                fwdTo = finalHeadAt;
                emit();
                session.serverFailedBeforeResponse(this, e);
            } else {
                emit();
                session.serverFailed(this, e);
            }
        }
        if (in.isReadable() && !done && state != State.TUNNEL) {
            cumulation = ReceiveRing.compact(in, ctx.alloc());
        } else if (in.isReadable() && state == State.TUNNEL) {
            session.toClient(in);
        } else {
            in.release();
        }
    }

    private void process(ChannelHandlerContext ctx, ByteBuf in) throws HttpException {
        while (in.isReadable() && !done) {
            switch (state) {
                case HEAD -> {
                    if (!responseHead(in)) {
                        return;
                    }
                }
                case BODY -> {
                    int n;
                    if (dechunk) {
                        n = chunked.scan(in, in.readerIndex(), in.writerIndex(), chunkData);
                    } else if (rechunk) {
                        n = in.readableBytes();
                        chunk(in, n);
                    } else {
                        n = body.scan(in, in.readerIndex(), in.writerIndex());
                        if (n > 0 && !body.dropped()) {
                            forwardBody(in, in.readerIndex(), in.readerIndex() + n);
                        }
                    }
                    in.skipBytes(n);
                    if (body.done()) {
                        complete(in.readableBytes());
                    } else if (body == chunked && chunked.crOwed()) {
                        if (!dechunk) {
                            // A line of the framing ends in a bare LF, next in: the client reads CRLF.
                            mendCr(in.alloc());
                        }
                    } else if (n == 0) {
                        // A trailer field's name goes on in the next read (ChunkedFramer): kept until then.
                        return;
                    }
                }
                case IDLE -> {
                    // Bytes no request asked for: the connection cannot be trusted any more.
                    done = true;
                    ctx.close();
                    if (session != null) {
                        session.serverSentStray(straySaid(in.readableBytes()));
                        session.serverGone(this);
                    }
                    in.skipBytes(in.readableBytes());
                }
                default -> {
                    return;
                }
            }
        }
    }

    private boolean responseHead(ByteBuf in) throws HttpException {
        int max = session.limits().maxHeadBytes();
        int end = scanner.find(in);
        if (end < 0 || end - in.readerIndex() > max) {
            if (in.readableBytes() > max) {
                throw new HttpException(502, "response head too large");
            }
            if (in.isReadable()) {
                session.responseHeadStarted();
            }
            return false;
        }
        session.responseHeadDone();
        boolean bareLf = scanner.bareLf();
        scanner.reset();
        if (!bareLf) {
            return responseHead(in, end, in, in.readerIndex(), end);
        }
        ByteBuf crlf = HeadScanner.withCrlf(in, in.readerIndex(), end, in.alloc());
        try {
            return responseHead(in, end, crlf, 0, crlf.writerIndex());
        } finally {
            crlf.release();
        }
    }

    /**
     * Handles the response head that starts at in's reader index and ends at {@code end}: its
     * bytes are [from, to) of headBuf, which is in itself or, for a head with bare LF line
     * ends, a copy with CRLF ones; such a copy always goes to the client through the rules'
     * writer (which copies or retains it), never as a slice of in.
     */
    private boolean responseHead(ByteBuf in, int end, ByteBuf headBuf, int from, int to) throws HttpException {
        boolean normalised = headBuf != in;
        head.parseResponse(headBuf, from, to, session.limits().maxHeaderFields());
        clientBound |= head.connectionAuth;
        int status = head.status;
        if (status == 101) {
            if (upgradeOffer == null) {
                throw new HttpException(502, "101 to a request that did not ask to upgrade");
            }
            String refusal = UpgradeOffer.refusal(upgradeOffer, head.upgradeValues());
            if (refusal != null) {
                throw new HttpException(502, refusal);
            }
        }
        if (status < 200 && status != 101 && ++interims > MAX_INTERIMS) {
            throw new HttpException(502, "more than " + MAX_INTERIMS + " interim responses");
        }
        if (status < 200 && head.close) {
            // A close in any message is the server's word on the connection (RFC 9110 7.6.1):
            // after a 100 that said it, the next request went on it and met the close (review CI).
            closeServer = true;
        }
        HeadRewriter rules = session.responseRules();
        if (status < 200 && status != 101 && http10Request) {
            // An HTTP/1.0 client does not expect interim responses (RFC 9110 15.2): drop them.
            in.readerIndex(end);
            return true;
        }
        boolean last = status >= 200 && status != 101;
        BodyFramer framer = last ? framer() : null;
        boolean framed = framer != BodyFramer.UntilClose.INSTANCE;
        if (last) {
            persistent = head.persistent() && framed && !closeServer;
            dechunk = http10Request && framer == chunked;
            rechunk = !framed && !http10Request && !head.transferEncoding && !closeClient;
            // A body in a coding before chunked (gzip, chunked) goes on as it came, and the
            // client's connection ends after it: a client that frames only a lone "chunked"
            // reads it until the close, and one that kept the connection waited for the
            // session's timeout, or took the next response for more of this body (probe A).
            clientPersistent = (framed || rechunk) && !dechunk && head.transferCodings <= 1;
            if (http10Request && framer != null && head.transferEncoding && !(dechunk && head.transferCodings == 1)) {
                // A body in another transfer coding (gzip, chunked): no HTTP/1.0 client reads it.
                throw new HttpException(502, "transfer coding to an HTTP/1.0 request");
            }
        }
        // The client's connection also ends after an answer that comes before the request's end,
        // and after a body that only the close ends and that is not sent chunked.
        boolean clientCloses = last && (session.finalResponseIsEarly(head.status, persistent) || closeClient || !clientPersistent);
        // An early answer ends the client's connection anyway: its close can end the body.
        rechunk &= !clientCloses;
        // A rule may have removed or changed the server's close, and a client told nothing
        // would take the close for a lost connection.
        boolean sayClose = clientCloses && (!head.close || rules.active());
        // The server's close is of its own connection (hop-by-hop): the client keeps its
        // connection, as behind HAProxy and nginx, and the next request goes over a fresh one.
        // A client keeps it after an HTTP/1.0 response, or on an HTTP/1.0 request, only when
        // the response says keep-alive (RFC 9112 9.3); an HTTP/1.1 server need not say it.
        boolean sayKeepAlive = last && !clientCloses
                && (head.close || (http10Request || head.version == 10 && !rechunk) && !head.keepAlive);
        // A 1xx or 204 response has no content, so it must not say how long it is (a client
        // could wait for that many bytes); a 304's length is the representation's, it stays.
        // An HTTP/1.0 client gets no Transfer-Encoding (dechunked, or on a response without
        // a body), since it knows none.
        boolean dropFraming = (status < 200 || status == 204) && (head.contentLength >= 0 || head.transferEncoding)
                || last && http10Request && head.transferEncoding;
        // A 101 is the last response of its exchange: the rules see it as any final one (relayd
        // applied them to every head), so what they remove or refuse does not pass into a tunnel.
        if ((last || status == 101) && (rules.active() || sayClose || sayKeepAlive || dropFraming || normalised
                || rechunk || head.editedAnyway())) {
            rules.apply(head, 0);
            boolean ruleCloses = rules.closeByRule();
            if (status == 101 && ruleCloses) {
                // The client would get a 101 that says close, which no websocket client takes,
                // over a tunnel that stayed open (probe J): the close is the operator's word.
                throw new HttpException(502, "a rule closes the connection the 101 would tunnel");
            }
            if (last && ruleCloses) {
                // A rule told the client that its connection closes (RFC 9112 9.6): it does,
                // after this response, and nothing more need say so.
                clientPersistent = false;
                rechunk = false;
                sayClose = false;
                sayKeepAlive = false;
            }
            if (dropFraming) {
                rules.dropFraming();
            }
            if (rechunk) {
                rules.chunked();
            }
            if (sayClose) {
                rules.connection("close");
            } else if (sayKeepAlive) {
                rules.connection("keep-alive");
            }
            emit();
            rules.write(in.alloc(), this::holdHead);
            if (last) {
                finalHeadIn = in;
                finalHeadAt = end;
            }
        } else if (head.editedAnyway() || dropFraming || normalised || !last && rules.removesHeaders()) {
            // An interim response: of the rules only header removes apply
            // (HeadRewriter#applyToInterim), but what is meant for this hop only (Connection
            // options, Keep-Alive) stops here as in any other response, and it says the
            // relay's version.
            rules.applyToInterim(head);
            if (dropFraming) {
                rules.dropFraming();
            }
            emit();
            rules.write(in.alloc(), session::toClient);
        } else {
            if (last) {
                finalHeadIn = in;
                finalHeadAt = in.readerIndex();
            }
            forward(in, in.readerIndex(), end);
        }
        if (last || status == 101) {
            // An interim response is whole in itself: after it, a failure can still be answered.
            session.responseStarted();
        }
        in.readerIndex(end);
        head.trim();
        if (status == 101) {
            emit();
            state = State.TUNNEL;
            session.startTunnel(this);
            return false;
        }
        if (status < 200) {
            // Interim (100 Continue, 103 Early Hints): the final response follows.
            interimSent = true;
            if (status == 100) {
                session.continued();
            }
            return true;
        }
        body = framer;
        if (body == null) {
            complete(in.readableBytes());
        } else {
            state = State.BODY;
        }
        return true;
    }

    /** How the body of the final response just parsed ends; null when it has none. */
    private BodyFramer framer() {
        if (headRequest || head.status == 204 || head.status == 304) {
            return null;
        } else if (head.chunked) {
            return chunked.reset(HopByHopFields.named(head));
        } else if (head.transferEncoding) {
            return BodyFramer.UntilClose.INSTANCE;
        } else if (head.contentLength >= 0) {
            return head.contentLength > 0 ? fixed.reset(head.contentLength) : null;
        }
        return BodyFramer.UntilClose.INSTANCE;
    }

    /**
     * The response is complete. {@code stray}: how many more bytes came with its end, before
     * the relay sent any further request (a pipelined one goes out from within this call), so
     * they answer nothing and the connection cannot be trusted any more; the client's
     * connection is not to blame and may go on, its next request on a fresh connection.
     */
    private void complete(int stray) {
        emit();
        state = State.IDLE;
        body = null;
        exchanges++;
        if (stray > 0) {
            done = true;
            session.serverSentStray(straySaid(stray));
        }
        // A connection whose output failed carries no other request.
        // A response that told the client its connection ends leaves it nothing to go on with.
        session.responseComplete(this, persistent && stray == 0 && writeFailure == null, clientPersistent && !closeClient);
    }

    /**
     * The close line's note of {@code n} bytes after a complete response (a body to HEAD, a
     * 100 Continue after the final response, a length that lies): the client never sees
     * them, so nothing else would tell the operator that the server is broken.
     */
    private String straySaid(int n) {
        return "server sent " + n + (n == 1 ? " byte" : " bytes") + " after its response"
                + (headRequest ? " to HEAD" : "") + "; its connection closed";
    }

    /**
     * Whether the final response whose head this read parsed is still wholly in the stretch
     * queued for the client (nothing of it written yet), from {@link #finalHeadAt} on.
     */
    private boolean headNotSent() {
        if (editedHead != null) {
            // Held, with at most the stretch of its body after it (see forward).
            return true;
        }
        return finalHeadIn != null && fwdBuf == finalHeadIn && fwdFrom <= finalHeadAt && finalHeadAt <= fwdTo;
    }

    private void holdHead(ByteBuf b) {
        editedHead = b;
    }

    /** Sends the n bytes at in's reader index to the client as one chunk ({@link #rechunk}). */
    private void chunk(ByteBuf in, int n) {
        emit();
        ByteBuf size = in.alloc().buffer(18);
        size.writeCharSequence(Integer.toHexString(n), StandardCharsets.US_ASCII);
        size.writeBytes(CRLF);
        session.toClient(size);
        session.toClient(in.retainedSlice(in.readerIndex(), n));
        session.toClient(Unpooled.wrappedBuffer(CRLF));
    }

    /** Queues [from, to) of in for the client, joined to the stretch before it if adjacent. */
    /**
     * Body bytes to the client, as {@link #forward}; but where they do not follow on from what
     * this read queued (a response's size padding dropped, the framing of chunks
     * {@link #dechunk}ed), the rest of the read goes into one copy ({@link #mended}): each
     * piece was a buffer of its own, 37,000 queued for a read of one-byte chunks and as many
     * segments sent (review CM).
     */
    private void forwardBody(ByteBuf in, int from, int to) {
        if (mended == null && fwdBuf == in && fwdTo != from) {
            startMending(in.alloc());
        }
        forward(in, from, to);
    }

    private void forward(ByteBuf in, int from, int to) {
        if (mended != null) {
            mended.writeBytes(in, from, to - from);
            return;
        }
        if (fwdBuf == in && fwdTo == from) {
            fwdTo = to;
            return;
        }
        if (fwdBuf != null) {
            // (With nothing queued, a held head stays held: the stretch starting goes after it.)
            emit();
        }
        fwdBuf = in;
        fwdFrom = from;
        fwdTo = to;
    }

    /**
     * A CR after a bare LF ending a chunk line: what is queued goes out, and the rest of the
     * read is copied into {@link #mended}, which holds what comes before any later head or
     * write (each of those emits first, which ends it).
     */
    private void mendCr(ByteBufAllocator alloc) {
        if (mended == null) {
            startMending(alloc);
        }
        mended.writeByte(HttpHead.CR);
    }

    /** What is queued goes out; what the read forwards from here goes into {@link #mended}. */
    private void startMending(ByteBufAllocator alloc) {
        emit();
        mended = alloc.buffer();
    }

    /** Writes the queued stretch to the client (before anything else may be written or closed). */
    private void emit() {
        if (mended != null) {
            ByteBuf copy = mended;
            mended = null;
            session.toClientNow(null, copy);
        }
        ByteBuf stretch = fwdBuf != null && fwdTo > fwdFrom ? fwdBuf.retainedSlice(fwdFrom, fwdTo - fwdFrom) : null;
        fwdBuf = null;
        if (editedHead != null || stretch != null) {
            session.toClientNow(editedHead, stretch);
            editedHead = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (session != null) {
            session.client().flush();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == ChannelInputShutdownEvent.INSTANCE) {
            inputClosed = true;
            if (session == null) {
                ctx.close();
                return;
            }
            if (vetting) {
                staleWhileVetting(ctx);
                return;
            }
            if (endedByTheClose() && (writeFailure != null || TcpInfo.resetAtEndOfInput(ctx.channel()))) {
                // Where only the close ends the stream (a body read until the close, a tunnel),
                // a reset is a cut, not an end, also when a write took its error and the read
                // found only the end: a close-delimited early answer followed by a reset
                // reached the client as whole, with a FIN (probe O of session 59).
                exceptionCaught(ctx, TcpInfo.resetByPeer());
                return;
            }
            ended(ctx);
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (parkedIn != null) {
            parkedIn.remove(this, parkedHost);
            unpark();
        }
        if (session != null && vetting) {
            staleWhileVetting(ctx);
        } else if (session != null) {
            ended(ctx);
        }
        release();
    }

    /**
     * Whether {@code cause} failed a write and left the read side as it was: the connection's
     * output is shut (the channel does not close itself on a write error, {@code AUTO_CLOSE} off
     * for HTTP relays' servers), its input open.
     */
    private static boolean outputFailedOnly(ChannelHandlerContext ctx, Throwable cause) {
        return cause instanceof IOException && ctx.channel().isActive() && ctx.channel() instanceof DuplexChannel d
                && d.isOutputShutdown() && !d.isInputShutdown();
    }

    /** Whether the server's end of input ends what it sends: a tunnel, or a body framed by the close. */
    private boolean endedByTheClose() {
        return !done && (state == State.TUNNEL || state == State.BODY && body == BodyFramer.UntilClose.INSTANCE);
    }

    /** The server closed or sent FIN. */
    private void ended(ChannelHandlerContext ctx) {
        if (done) {
            return;
        }
        if (state == State.TUNNEL) {
            done = !ctx.channel().isActive();
            session.tunnelServerEof(this);
            return;
        }
        done = true;
        if (state == State.BODY && body == BodyFramer.UntilClose.INSTANCE) {
            if (rechunk && session.serves(this)) {
                // The server's close, not the relay's (a session cut short, whose close of
                // this connection comes here too, must never tell the client its body is whole).
                session.toClient(Unpooled.wrappedBuffer(LAST_CHUNK));
            }
            session.responseComplete(this, false, rechunk);
        } else if (state == State.IDLE) {
            session.serverGone(this);
        } else if (state == State.HEAD && awaitingFirstByte) {
            // A write that failed (the server reset an upload) is named as a reset read is; it
            // read as an orderly close (probe BA). On io_uring the write in flight may take the
            // reset after this read found the end: the socket's state tells (CI102). Resent, if
            // at all, as after a close.
            Throwable reset = writeFailure != null ? writeFailure
                    : TcpInfo.resetAtEndOfInput(ctx.channel()) ? TcpInfo.resetByPeer() : null;
            session.requestLost(this, new HttpException(502, reset != null
                    ? "server: " + RelaySession.describe(reset) : "server closed the connection before responding"));
        } else {
            session.serverFailed(this, new HttpException(502, "server closed the connection " + where()));
        }
        ctx.close();
    }

    /** Where in the response of the request in flight its server stopped, for the 502's reason. */
    private String where() {
        if (state == State.BODY) {
            return "within the response body";
        } else if (cumulation != null) {
            return "within the response head";
        }
        return interimSent ? "after an interim response" : "before responding";
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (session != null) {
            session.serverWritabilityChanged(this);
        }
    }

    /**
     * The connection failed (a reset, mostly). Between exchanges that is the server dropping an
     * idle connection, as with {@link #ended}: no request is lost and the client's connection
     * goes on (an answer to the client there would answer nothing it asked).
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (session != null && vetting) {
            staleWhileVetting(ctx);
            return;
        }
        if (writeFailure != null
                && (cause instanceof ChannelOutputShutdownException || cause instanceof ClosedChannelException)) {
            // The other writes the failure ended, and the rest of the request written after
            // it: dropped.
            return;
        }
        if (writeFailure == null && session != null && !done && state != State.IDLE && outputFailedOnly(ctx, cause)) {
            // A server that answers early and closes without reading the rest of the upload
            // (a 413) resets the connection: the write fails, but the answer it sent before is
            // still to be read, and the read side settles the exchange, as it would have had
            // the answer been read first. Closing now gave the client a 502 for its 413.
            writeFailure = cause;
            return;
        }
        boolean lost = !done && state == State.HEAD && awaitingFirstByte;
        done = true;
        if (session != null && lost) {
            session.requestLost(this, cause);
        } else if (session != null && state == State.IDLE) {
            session.serverGone(this);
        } else if (session != null) {
            session.serverException(this, cause);
        }
        ctx.close();
    }

    private void release() {
        if (mended != null) {
            mended.release();
            mended = null;
        }
        if (cumulation != null) {
            ReferenceCountUtil.release(cumulation);
            cumulation = null;
        }
    }
}
