package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.hoststated.relay.HalfClose;
import org.hoststated.relay.handler.PausedReads;
import org.hoststated.relay.handler.RelaySession;

/**
 * Answers a client that speaks plain HTTP to a TLS listener (an {@code http://} URL with the
 * port of an {@code https://} one) with "400 Bad Request" in clear, as nginx, Apache httpd and
 * Go's server do; the TLS handler alone closed it, and curl said only "Empty reply from
 * server". A TLS record begins with its content type (20 to 23; an SSLv2 hello with a byte
 * of 128 or more), never with a letter, so a first byte from A to Z begins a request's method
 * when the line names an HTTP version ({@link #looksLikeRequest}). Other bytes go to the TLS
 * handler, which refuses what is not TLS as before.
 *
 * <p>First in the pipeline of a session of an HTTP relay's TLS listener, for the session's
 * first read only: TLS sessions then go on without it. A plain request is answered, the
 * connection half-closed, and what the client still sends dropped until it is quiet
 * ({@link LingeringClose}) before the close (a close with unread bytes would be a reset, which
 * can destroy the answer before the client read it). One per session, on its loop.
 */
final class PlainRequestOnTls extends ChannelInboundHandlerAdapter {
    static final String REASON = "plain HTTP request sent to a TLS port";

    private final HttpRules rules;
    private boolean plain;
    private LingeringClose lingering;

    PlainRequestOnTls(HttpRules rules) {
        this.rules = rules;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (plain) {
            ReferenceCountUtil.release(msg);
            if (lingering != null) {
                lingering.read();
            }
            return;
        }
        if (!(msg instanceof ByteBuf b) || !looksLikeRequest(b)) {
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
            return;
        }
        plain = true;
        // As every answer the relay makes, the answer to HEAD is the page's head alone.
        boolean content = !HttpFrontendHandler.startsWithHeadMethod(b);
        b.release();
        RelaySession.setReason(ctx.channel(), REASON + " (400 " + ErrorPage.reason(400) + ")");
        // From the first handler, the page goes out in clear, past every TLS handler.
        ctx.writeAndFlush(ErrorPage.render(ctx.alloc(), 400, rules.returnError, rules.errorStyle, REASON, null,
                (InetSocketAddress) ctx.channel().localAddress(), content)).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess() && f.channel() instanceof DuplexChannel d) {
                        HalfClose.shutdownOutput(d);
                        lingering = LingeringClose.start(d);
                    } else {
                        f.channel().close();
                    }
                });
        PausedReads.set(ctx.channel(), true);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (plain && evt instanceof ChannelInputShutdownEvent) {
            // The client is done sending: nothing is left to drop.
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Whether the first bytes are an HTTP request: they begin with a letter and, when the first
     * line is all there, it names an HTTP version. Other plain text (an SSH client's banner,
     * "SSH-2.0-...") is left to the TLS handler, which says the client did not begin TLS; it
     * read "plain HTTP request" and got a page it could not read.
     */
    static boolean looksLikeRequest(ByteBuf b) {
        if (!b.isReadable()) {
            return false;
        }
        byte first = b.getByte(b.readerIndex());
        if (first < 'A' || first > 'Z') {
            return false;
        }
        int eol = b.indexOf(b.readerIndex(), b.writerIndex(), (byte) '\n');
        if (eol < 0) {
            return true;   // a request line that comes in pieces: judged by its method
        }
        return b.toString(b.readerIndex(), eol - b.readerIndex(), StandardCharsets.ISO_8859_1).contains(" HTTP/");
    }
}
