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
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.CtlTable;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;

/**
 * One control connection that asks for {@code show summary} (CTL_SHOW_SUM) and reads the answer
 * at the pace the test chooses, keeping each row's type and id (what no check changes), so
 * that two answers can be compared row for row.
 */
final class SummaryReader implements AutoCloseable {
    private final SocketChannel ch;
    private final ByteBuffer in = ByteBuffer.allocate(1 << 16);
    /** Each row but statistics as its type and object id, in the order received. */
    final List<String> rows = new ArrayList<>();
    /** Each host's and table's status as hoststatectl shows it ("up", "empty", ...), in order. */
    final List<String> statuses = new ArrayList<>();
    long bytes;
    boolean ended;

    SummaryReader(Path socket) throws IOException {
        ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ByteBuf req = Unpooled.buffer();
        Messages.encode(new Imsg(MessageType.CTL_SHOW_SUM, Messages.CONTROL_VERSION, 0, SummaryRequest.SUMMARY), req);
        ch.write(req.nioBuffer());
        req.release();
        in.flip();
    }

    /** Reads at most {@code limit} bytes more (one read), decoding the whole rows among them. */
    void readSome(int limit) throws Exception {
        in.compact();
        in.limit(Math.min(in.capacity(), in.position() + limit));
        int n = ch.read(in);
        in.limit(in.capacity());
        in.flip();
        if (n < 0) {
            throw new IOException("daemon closed the connection after " + rows.size() + " rows");
        }
        bytes += n;
        while (!ended && in.remaining() >= Messages.HEADER && in.remaining() >= in.getInt(in.position())) {
            byte[] frame = new byte[in.getInt(in.position())];
            in.get(frame);
            ByteBuf f = Unpooled.wrappedBuffer(frame);
            row(Messages.decode(f, ProcId.PARENT, ProcId.CONTROL));
            f.release();
        }
    }

    /** Reads the rest of the answer at full speed. */
    void readAll() throws Exception {
        while (!ended) {
            readSome(1 << 16);
        }
    }

    private void row(Imsg m) {
        if (m.type() == MessageType.CTL_STATISTICS) {
            return; // a relay has them once the relay engine has reported, which may come between two answers
        }
        Object p = m.payload();
        String id = p instanceof CtlHost h ? Integer.toString(h.id()) : p instanceof CtlTable t ? Integer.toString(t.id())
                : p instanceof CtlRelay r ? Integer.toString(r.id()) : "";
        rows.add(m.type().logName() + ' ' + id);
        if (p instanceof CtlHost h) {
            statuses.add(h.status());
        } else if (p instanceof CtlTable t) {
            statuses.add(t.status());
        }
        if (m.type() == MessageType.CTL_END || m.type() == MessageType.CTL_FAIL) {
            ended = true;
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
