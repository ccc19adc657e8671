package org.hoststated.parent.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * Asks the daemon's control socket for the live relay sessions (CTL_SHOW_SESSIONS), as
 * {@code hoststatectl show sessions} does, and returns the decoded rows.
 */
final class RelayControl {
    private RelayControl() {
    }

    static List<CtlSession> sessions(Path socket) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ask(ch);
            return rows(ch);
        }
    }

    /** Sends CTL_SHOW_SESSIONS on {@code ch}. */
    static void ask(SocketChannel ch) throws Exception {
        ByteBuf req = Unpooled.buffer();
        Messages.encode(new Imsg(MessageType.CTL_SHOW_SESSIONS, Messages.CONTROL_VERSION, 0, Empty.INSTANCE), req);
        ch.write(req.nioBuffer());
        req.release();
    }

    /** Reads the rows of one answer to CTL_SHOW_SESSIONS, up to its CTL_END. */
    static List<CtlSession> rows(SocketChannel ch) throws Exception {
        List<CtlSession> out = new ArrayList<>();
        while (true) {
            Imsg m = read(ch);
            if (m.type() == MessageType.CTL_END) {
                return out;
            }
            if (m.type() != MessageType.CTL_SESSION) {
                throw new IllegalStateException("unexpected " + m.type() + ": " + m.payload());
            }
            out.add(m.payload(CtlSession.class));
        }
    }

    static Imsg read(SocketChannel ch) throws Exception {
        ByteBuffer head = ByteBuffer.allocate(Messages.HEADER);
        fill(ch, head);
        int len = Messages.frameLength(Unpooled.wrappedBuffer(head.array()));
        ByteBuffer all = ByteBuffer.allocate(len);
        all.put(head.array());
        fill(ch, all);
        ByteBuf frame = Unpooled.wrappedBuffer(all.array());
        try {
            return Messages.decode(frame, ProcId.PARENT, ProcId.CONTROL);
        } finally {
            frame.release();
        }
    }

    private static void fill(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("control socket closed");
            }
        }
    }
}
