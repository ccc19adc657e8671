package org.hoststated.ctl;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * The daemon's side of the control socket, for tests: a real Unix domain server socket in a
 * temporary directory. For each client it reads one request frame (as the parent would, from
 * CONTROL), records it, writes the canned answer the script gives for it, and closes, or, when
 * the answer is {@link #HANG}, waits until the client goes away; {@link #answeringAndStaying}
 * waits likewise after its answer.
 */
final class FakeDaemon implements AutoCloseable {
    /** Answer nothing and keep the connection open. */
    static final byte[] HANG = new byte[0];

    final Path path;
    final List<Imsg> requests = new CopyOnWriteArrayList<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    private final ServerSocketChannel server;
    private final Function<Imsg, byte[]> script;
    private final boolean staying;
    private final Thread thread;

    private FakeDaemon(Path path, Function<Imsg, byte[]> script) throws IOException {
        this(path, script, false);
    }

    private FakeDaemon(Path path, Function<Imsg, byte[]> script, boolean staying) throws IOException {
        this.path = path;
        this.script = script;
        this.staying = staying;
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(path));
        this.thread = new Thread(this::serve, "fake-daemon");
        thread.setDaemon(true);
        thread.start();
    }

    /** A daemon at {@code dir/hoststated.sock} answering every request with {@code answer}. */
    static FakeDaemon answering(Path dir, byte[] answer) throws IOException {
        return new FakeDaemon(dir.resolve("hoststated.sock"), req -> answer);
    }

    /** As {@link #answering}, but the connection stays open after the answer, as a monitor's does. */
    static FakeDaemon answeringAndStaying(Path dir, byte[] answer) throws IOException {
        return new FakeDaemon(dir.resolve("hoststated.sock"), req -> answer, true);
    }

    static FakeDaemon scripted(Path dir, Function<Imsg, byte[]> script) throws IOException {
        return new FakeDaemon(dir.resolve("hoststated.sock"), script);
    }

    /** Frames, back to back, as the daemon writes them. */
    static byte[] frames(Imsg... ms) {
        ByteBuf b = Unpooled.buffer();
        try {
            for (Imsg m : ms) {
                Messages.encode(m, b);
            }
            byte[] out = new byte[b.readableBytes()];
            b.readBytes(out);
            return out;
        } finally {
            b.release();
        }
    }

    /** The one request of the last client; fails the test if there was none. */
    Imsg request() {
        if (!errors.isEmpty()) {
            throw new AssertionError("fake daemon: " + errors);
        }
        if (requests.isEmpty()) {
            throw new AssertionError("fake daemon: no request");
        }
        return requests.get(requests.size() - 1);
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                Imsg req = readRequest(c);
                if (req == null) {
                    continue;
                }
                requests.add(req);
                byte[] answer = script.apply(req);
                if (answer == HANG) {
                    drain(c);
                    continue;
                }
                c.write(ByteBuffer.wrap(answer));
                if (staying) {
                    drain(c);
                }
            } catch (IOException e) {
                if (server.isOpen()) {
                    errors.add(e.toString());
                }
            } catch (Exception e) {
                errors.add(e.toString());
            }
        }
    }

    private static Imsg readRequest(SocketChannel c) throws Exception {
        ByteBuffer header = ByteBuffer.allocate(Messages.HEADER);
        if (!readFully(c, header)) {
            return null;
        }
        int len = header.getInt(0);
        ByteBuffer frame = ByteBuffer.allocate(len);
        frame.put(header.flip());
        if (!readFully(c, frame)) {
            throw new IOException("truncated request");
        }
        return Messages.decode(Unpooled.wrappedBuffer(frame.array()), ProcId.CONTROL, ProcId.PARENT);
    }

    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    private static void drain(SocketChannel c) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(256);
        while (c.read(b.clear()) >= 0) {
            // wait for the client to go away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
