package org.hoststated.ctl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.Closeable;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * One connection of hoststatectl to the daemon's control socket: writes request frames and
 * reads whole reply frames, blocking, on the caller's thread. Uses only the JDK's Unix domain
 * {@link SocketChannel} and netty-buffer, so the CLI loads no native library of its own.
 *
 * <p>A reply's length is checked against {@link Messages#MAX_FRAME} before its buffer is
 * allocated; a frame that does not decode, or a type the daemon may not send to a control
 * client, ends the exchange with a {@link ControlException}. With a timeout, each read waits at
 * most that long for the daemon (a selector does the waiting; blocking Unix channels have no
 * read timeout of their own); without one ({@code monitor}) it waits for ever.
 */
final class ControlClient implements Closeable {
    /** Said of a well-framed reply that does not decode. */
    static final String OTHER_BUILD = " (a daemon of another version answers so: restart it after an upgrade)";

    private final SocketChannel channel;
    private final Selector selector;
    private final long timeoutMillis;
    private final ByteBuffer header = ByteBuffer.allocate(Messages.HEADER);
    private int lastLength;

    private ControlClient(SocketChannel channel, Selector selector, long timeoutMillis) {
        this.channel = channel;
        this.selector = selector;
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * Connects to the control socket at {@code path}.
     *
     * @param timeout how long each read may wait, or null to wait for ever
     */
    static ControlClient connect(String path, Duration timeout) throws ControlException {
        if (path.isEmpty()) {
            throw new ControlException("no control socket given");
        }
        Path p;
        try {
            p = Path.of(path);
        } catch (InvalidPathException e) {
            throw new ControlException("cannot connect to " + path + ": bad path");
        }
        SocketChannel ch = null;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(p));
            if (timeout == null) {
                return new ControlClient(ch, null, 0);
            }
            Selector sel = Selector.open();
            ch.configureBlocking(false);
            ch.register(sel, 0);
            return new ControlClient(ch, sel, Math.max(1, timeout.toMillis()));
        } catch (IOException | IllegalArgumentException e) {
            closeQuietly(ch);
            throw new ControlException("cannot connect to " + path + ": " + connectError(p, e));
        }
    }

    /** Whether {@code p} is a socket (a device or a FIFO at the path is "not a socket" too). */
    private static boolean isSocket(Path p) {
        try {
            return ((Integer) Files.getAttribute(p, "unix:mode") & 0170000) == 0140000;
        } catch (IOException | RuntimeException e) {
            return true;
        }
    }

    /**
     * The operator's reading of a failed connect(2). The JDK gives no errno and its message
     * follows the locale, so the socket file itself is asked first.
     */
    private static String connectError(Path p, Exception e) {
        String msg = e.getMessage() == null ? e.toString() : e.getMessage();
        if (msg.contains("path too long")) {
            return "socket path too long";
        }
        if (Files.exists(p) && !isSocket(p)) {
            return "not a socket";
        }
        Path dir = p.toAbsolutePath().getParent();
        if (dir != null && Files.notExists(dir)) {
            // A mistyped path, likelier than a daemon that is not running (probe R).
            return "no such directory: " + dir;
        }
        if (Files.notExists(p) || msg.contains("Connection refused")) {
            return "daemon not running?";
        }
        if (msg.contains("Permission denied") || !Files.exists(p) || !Files.isWritable(p)) {
            return "permission denied";
        }
        return msg.toLowerCase(Locale.ROOT);
    }

    /**
     * Writes one request frame: as its peer id the control protocol's version, which the
     * daemon checks ({@link Messages#CONTROL_VERSION}; the original's client sent 0), pid 0 (the
     * daemon knows its client by the connection).
     */
    void send(MessageType type, Object payload) throws ControlException {
        Imsg m = new Imsg(type, Messages.CONTROL_VERSION, 0, payload);
        ByteBuf b = Unpooled.buffer(64);
        try {
            Messages.encode(m, b);
            ByteBuffer nb = b.nioBuffer();
            while (nb.hasRemaining()) {
                if (channel.write(nb) == 0) {
                    await(SelectionKey.OP_WRITE);
                }
            }
        } catch (IOException e) {
            throw ioFailure(e);
        } finally {
            b.release();
        }
    }

    void send(MessageType type) throws ControlException {
        send(type, Empty.INSTANCE);
    }

    /**
     * Reads the next whole frame from the daemon.
     *
     * @throws ControlException at EOF, on a timeout, or when the frame is malformed
     */
    Imsg read() throws ControlException {
        header.clear();
        readFully(header);
        ByteBuf frame = Unpooled.wrappedBuffer(header.array());
        int len;
        try {
            len = Messages.frameLength(frame);
        } catch (MalformedMessageException e) {
            throw ControlException.badReply(e.getMessage());
        }
        byte[] bytes = new byte[len];
        System.arraycopy(header.array(), 0, bytes, 0, Messages.HEADER);
        readFully(ByteBuffer.wrap(bytes, Messages.HEADER, len - Messages.HEADER));
        frame = Unpooled.wrappedBuffer(bytes);
        try {
            Imsg m = Messages.decode(frame, ProcId.PARENT, ProcId.CONTROL);
            lastLength = len;
            return m;
        } catch (MalformedMessageException e) {
            // A whole frame whose type or payload is not this build's: most likely a daemon
            // still running the build before an upgrade, whose messages differ.
            throw ControlException.badReply(e.getMessage() + OTHER_BUILD);
        } catch (RuntimeException e) {
            // A codec that missed a check must not turn garbage into a stack trace.
            throw ControlException.badReply(e.toString());
        } finally {
            frame.release();
        }
    }

    /** The length, header included, of the frame {@link #read} returned last. */
    int lastLength() {
        return lastLength;
    }

    private void readFully(ByteBuffer buf) throws ControlException {
        try {
            while (buf.hasRemaining()) {
                int n = channel.read(buf);
                if (n < 0) {
                    throw new ControlException("daemon closed the connection");
                }
                if (n == 0) {
                    await(SelectionKey.OP_READ);
                }
            }
        } catch (IOException e) {
            throw ioFailure(e);
        }
    }

    /** Waits until the channel is ready for {@code op}, at most the timeout. */
    private void await(int op) throws IOException, ControlException {
        SelectionKey key = channel.keyFor(selector);
        key.interestOps(op);
        int ready = selector.select(timeoutMillis);
        key.interestOps(0);
        selector.selectedKeys().clear();
        if (ready == 0) {
            throw new ControlException("no reply from daemon within " + timeoutText());
        }
    }

    private String timeoutText() {
        return timeoutMillis % 1000 == 0 ? timeoutMillis / 1000 + " s" : timeoutMillis + " ms";
    }

    private static ControlException ioFailure(IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("reset") || msg.contains("Broken pipe")) {
            return new ControlException("daemon closed the connection");
        }
        return new ControlException("control socket: " + msg.toLowerCase(Locale.ROOT));
    }

    @Override
    public void close() {
        closeQuietly(selector);
        closeQuietly(channel);
    }

    private static void closeQuietly(Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            // Nothing is left to tell the daemon, and the command's result is already decided.
        }
    }
}
