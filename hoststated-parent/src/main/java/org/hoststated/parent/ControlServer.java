package org.hoststated.parent;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.Map;
import org.hoststated.core.imsg.ImsgDecoder;
import org.hoststated.core.imsg.ImsgEncoder;
import org.hoststated.core.imsg.ImsgErrors;
import org.hoststated.core.imsg.ImsgFrameDecoder;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.Text;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SystemError;
import org.hoststated.core.proc.DelayedClose;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket ({@code /var/run/hoststated.sock}, mode 0660, owner root): accepts
 * hoststatectl connections and hands their requests to the parent. A malformed request or a
 * type a client may not send closes that client only. Runs on the parent's event loop.
 */
final class ControlServer {
    private static final Logger log = LoggerFactory.getLogger(ControlServer.class);
    /**
     * Connections at once, so clients cannot exhaust descriptors. Past it, the oldest client
     * that has sent nothing makes room; if every one has spoken, the newcomer is closed.
     */
    static final int MAX_CLIENTS = 256;
    /** How long a client turned away has to send its request (read and dropped) before the close. */
    private static final long REFUSED_CLOSE_MS = 1000;
    /**
     * A client that has sent nothing for this long is closed, unless it is a monitor: a
     * connection left open (or a frame left half-written) must not hold a slot for ever.
     */
    static final int IDLE_SECONDS = 60;
    /**
     * Replies queued for a client that does not read them: past this the client is closed
     * rather than letting the parent's memory grow (a monitor that stopped reading).
     */
    static final int MAX_QUEUED = 8 << 20;
    /**
     * Replies queued for all clients together. Past it, a client that is behind by more than
     * {@link #BEHIND} bytes is closed when it is sent more, so that clients that do not read
     * (monitors most of all) cannot use up the parent's 64 MiB of heap and direct memory: 250
     * clients that asked for 5,000 sessions and read nothing filled it, and its loop then
     * hung in every allocation.
     */
    static final int MAX_QUEUED_ALL = 8 << 20;
    /** What a client that reads may have queued: the low water mark of its channel. */
    static final int BEHIND = 64 << 10;
    /**
     * What a queued write costs besides its bytes: the objects that hold it in the channel's
     * queue. Counted, because a monitor's events are small frames, and 250 clients with a few
     * thousand frames queued each used up the parent's heap before their bytes added up.
     */
    private static final int WRITE_COST = 256;

    interface Requests {
        void request(ControlClient client, Imsg m);

        default void clientClosed(ControlClient client) {
        }
    }

    private final EventLoop loop;
    private final Path path;
    private final Requests requests;
    /** In the order they connected, so that the first silent one is the oldest. */
    private final Map<Integer, ControlClient> clients = new LinkedHashMap<>();
    private Channel server;
    /** Whether the file at {@link #path} is this daemon's, so close may remove it. */
    private boolean owned;
    private int nextId = 1;
    /** Bytes written to the clients' channels and not yet sent, all clients together. */
    private long queued;
    /** Clients closed for want of room, warned of at most once a minute. */
    private final ThrottledCount tooMany = new ThrottledCount();
    /** Clients closed for a request that is none, and the latest one's fault; on the loop. */
    private final ThrottledCount badRequests = new ThrottledCount();
    private String badRequestLatest;
    /** The latest client closed for want of room, named by the warning; on the loop. */
    private String tooManyLatest;

    ControlServer(EventLoop loop, Path path, Requests requests) {
        this.loop = loop;
        this.path = path;
        this.requests = requests;
    }

    /**
     * Binds the socket. Called on the event loop, so it cannot wait for the bind: the caller
     * waits on the returned future from another thread, then calls {@link #restrict()}.
     * The socket's own mode is 0660 before the bind, and a socket's file is bound with that
     * mode less the umask: it never allows more than 0660. Bound with the mode the umask gives
     * and chmodded after, under {@code umask 000} it let a user who connected in between keep
     * the connection, and {@code stop} the daemon as {@code nobody} in 2 starts of 5 (probe F;
     * the JDK sets no umask, and the umask is the whole process's).
     */
    io.netty.channel.ChannelFuture open() throws IOException {
        ControlSocketPath.clear(path);
        String exposed = ControlSocketPath.directoryProblem(path);
        if (exposed != null) {
            log.warn("control socket {}: {}", path, exposed);
        }
        owned = true;
        io.netty.channel.ChannelFuture f = new ServerBootstrap()
                .group(loop)
                .channelFactory(() -> {
                    EpollServerDomainSocketChannel c = new EpollServerDomainSocketChannel();
                    try {
                        Fds.chmod(c.fd().intValue(), MODE);
                    } catch (IOException e) {
                        c.unsafe().closeForcibly();
                        throw new io.netty.channel.ChannelException("control socket: " + e.getMessage(), e);
                    }
                    return c;
                })
                // Room for a burst of commands (a monitoring system's, run in parallel): with a
                // full queue a non-blocking connect fails at once with EAGAIN.
                .option(ChannelOption.SO_BACKLOG, 128)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(BEHIND, MAX_QUEUED))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                })
                .bind(new DomainSocketAddress(path.toString()));
        server = f.channel();
        f.addListener(done -> {
            if (done.isSuccess()) {
                // After Netty's acceptor, which pauses accepting for a second on an error.
                f.channel().pipeline().addLast(new AcceptErrors());
            }
        });
        return f;
    }

    /**
     * A failed accept (the parent out of descriptors: "Too many open files") is logged once a
     * minute in one line; it reached the end of the pipeline, where Netty logged it as
     * "An exceptionCaught() event was fired, and it reached at the tail of the pipeline" each
     * second while it lasted. Clients wait in the backlog meanwhile.
     */
    private static final class AcceptErrors extends ChannelInboundHandlerAdapter {
        private final ThrottledCount failed = new ThrottledCount();
        /** The latest failure's text, named by the warning; on the loop. */
        private String latest;

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            latest = SystemError.text(cause);
            failed.add(ctx.channel().eventLoop(), n -> log.warn("control socket: cannot accept a client: {}{}", latest,
                    n == 1 ? "" : " (" + n + " failed accepts since the last warning)"));
        }
    }

    /** The control socket's mode: root and its group. */
    private static final int MODE = 0660;

    /**
     * Sets the socket file's mode to exactly 0660 once bound: the umask may have taken some of
     * it. Through a descriptor of the file the path names, never where a link there leads: a
     * user who could write the socket's directory renamed a link over the socket between the
     * bind and the chmod, and root set the mode of the link's target (probe G of session 56).
     * Refused unless that file is still a socket of root's.
     */
    void restrict() throws IOException {
        int fd = Fds.openPathNoFollow(path.toString());
        try {
            Path file = Path.of("/proc/self/fd/" + fd);
            // stat through the entry: the file opened, a link as itself.
            PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
            if (!a.isOther() || !Integer.valueOf(0).equals(Files.getAttribute(file, "unix:uid"))) {
                throw new IOException("control socket " + path + " was replaced by something else after it was bound ("
                        + (a.isSymbolicLink() ? "a link" : "not a socket of root's") + "): who may write "
                        + path.toAbsolutePath().getParent() + "?");
            }
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw----"));
        } finally {
            Fds.close(fd);
        }
    }

    ControlClient client(int id) {
        return clients.get(id);
    }

    Iterable<ControlClient> clients() {
        return clients.values();
    }

    void close() {
        if (server != null) {
            server.close();
            server = null;
        }
        clients.values().forEach(ControlClient::close);
        if (!owned) {
            // open was refused: the file is another daemon's socket, or not a socket at all.
            return;
        }
        owned = false;
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.getMessage());
        }
    }

    /**
     * Logs a client closed for want of room: a warning at most once a minute, which counts the
     * others, else a debug line. A burst of connections (a monitoring system's, in parallel)
     * wrote one warning per client past the limit.
     */
    private void tooMany(String closing) {
        log.debug("control socket: too many clients; closing {}", closing);
        tooManyLatest = closing;
        tooMany.add(loop, n -> log.warn("control socket: too many clients; closed {}{}", tooManyLatest,
                n == 1 ? "" : " (" + n + " closed since the last warning)"));
    }

    /**
     * Closes {@code ch} after a CTL_FAIL that says why: hoststatectl prints it, where a bare
     * close read "daemon closed the connection" and the daemon's warning comes once a minute.
     */
    private static void refuse(Channel ch, String why) {
        // Closed once the client's request is read, or after REFUSED_CLOSE_MS: a Unix socket
        // closed with unread bytes makes the client's read fail before it reads the refusal.
        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ctx.close();
            }
        });
        failAndClose(ch, why);
    }

    private static void failAndClose(Channel ch, String why) {
        ByteBuf frame = ch.alloc().buffer();
        Messages.encode(Imsg.of(MessageType.CTL_FAIL, new Text(why)), frame);
        ch.writeAndFlush(frame);
        DelayedClose.after(ch, REFUSED_CLOSE_MS);
    }

    /**
     * A client's request that is no request (a bad frame or payload, a type it may not send):
     * told why and closed, its decoders dropping what it sends meanwhile, and warned of at
     * most once a minute. It was closed without a word, with an error line per connection
     * (2,000 bad connections: about 1,430 lines; probe R).
     */
    private void badRequest(Channel ch, int id, String why) {
        refuseRequest(ch, id, why, "bad request: " + why);
    }

    /**
     * A client of another build, whose first request spoke control protocol {@code version}
     * ({@link Messages#CONTROL_VERSION}; 0 before versions): told to use the daemon's own
     * hoststatectl, or to restart the daemon, before its requests are decoded (they may not
     * decode, or into something else).
     */
    private void otherBuild(Channel ch, int id, int version) {
        String theirs = version == 0 ? "none" : Integer.toUnsignedString(version);
        refuseRequest(ch, id, "a hoststatectl of another build (control protocol version " + theirs + ")",
                "hoststatectl and the running daemon are of different builds (control protocol version " + theirs
                + " and " + Messages.CONTROL_VERSION + "): use the hoststatectl installed with the running daemon,"
                + " or restart the daemon after an upgrade");
    }

    private void refuseRequest(Channel ch, int id, String why, String told) {
        log.debug("control client {}: bad request: {}; closing", id, why);
        badRequestLatest = why;
        badRequests.add(loop, n -> log.warn("control socket: bad request from a client: {}; closed{}", badRequestLatest,
                n == 1 ? "" : " (" + n + " such clients since the last warning)"));
        failAndClose(ch, told);
    }

    private void accept(Channel ch) {
        if (clients.size() >= MAX_CLIENTS) {
            // Connections that never send a request would otherwise lock hoststatectl out
            // until their idle timeout.
            ControlClient silent = clients.values().stream().filter(c -> !c.spoke).findFirst().orElse(null);
            tooMany(silent == null ? "the new one" : "client " + silent.id + ", which has sent nothing");
            if (silent == null) {
                refuse(ch, "too many control clients (" + MAX_CLIENTS + " connected); try again");
                return;
            }
            clients.remove(silent.id);
            silent.close();
        }
        ControlClient c = new ControlClient(nextId++, ch, requests);
        if (nextId == Integer.MAX_VALUE) {
            nextId = 1;
        }
        clients.put(c.id, c);
        ImsgErrors errors = new ImsgErrors(ProcId.PARENT, ProcId.CONTROL,
                (ctx, e) -> badRequest(ctx.channel(), c.id, e.getMessage()));
        ch.pipeline().addLast(new IdleStateHandler(IDLE_SECONDS, 0, 0), new QueuedBytes(c.id),
                new ControlVersionCheck(version -> otherBuild(ch, c.id, version), why -> badRequest(ch, c.id, why)),
                new ImsgFrameDecoder(ProcId.PARENT, ProcId.CONTROL, errors),
                new ImsgDecoder(ProcId.PARENT, ProcId.CONTROL, errors),
                ImsgEncoder.INSTANCE, new SimpleChannelInboundHandler<Imsg>() {
                    @Override
                    protected void channelRead0(ChannelHandlerContext ctx, Imsg msg) {
                        if (!ctx.channel().isOpen()) {
                            // Decoded from what came before the close: nobody to answer.
                            return;
                        }
                        c.spoke = true;
                        c.received(msg);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        // Not one that waits for its answer: a reload may take minutes (DNS).
                        if (evt instanceof IdleStateEvent && !c.monitor && !c.answering()) {
                            log.debug("control client {}: idle for {} s; closing", c.id, IDLE_SECONDS);
                            ctx.close();
                        }
                    }

                    @Override
                    public void channelInactive(ChannelHandlerContext ctx) {
                        clients.remove(c.id);
                        requests.clientClosed(c);
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        // Once: each reply still written to a client closed for not reading
                        // failed here, 27,000 lines of "closed" for one client (probe AN).
                        if (ctx.channel().isOpen()) {
                            log.debug("control client {}: {}", c.id, SystemError.text(cause));
                            ctx.close();
                        }
                    }
                });
    }

    /**
     * Counts a client's encoded replies into {@link #queued} until they are sent, and closes
     * the client instead when all clients together have more than {@link #MAX_QUEUED_ALL}
     * queued and this one is behind. Next to the channel's head, so it sees the frames' bytes.
     */
    private final class QueuedBytes extends ChannelOutboundHandlerAdapter {
        private final int id;

        QueuedBytes(int id) {
            this.id = id;
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            int n = ((ByteBuf) msg).readableBytes() + WRITE_COST;
            ChannelOutboundBuffer pending = ctx.channel().unsafe().outboundBuffer();
            if (queued + n > MAX_QUEUED_ALL && pending != null && pending.totalPendingWriteBytes() > BEHIND) {
                ReferenceCountUtil.release(msg);
                if (ctx.channel().isOpen()) {
                    ControlClient c = clients.get(id);
                    String howMuch = " while " + (queued >> 20) + " MiB are queued for all clients";
                    if (c != null) {
                        c.closeUnread(howMuch);
                    } else {
                        log.warn("control client {}: does not read its replies{}; closing", id, howMuch);
                        ctx.close();
                    }
                }
                return;
            }
            queued += n;
            ctx.write(msg, promise.unvoid().addListener(f -> queued -= n));
        }
    }
}
