package org.hoststated.parent.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;

/**
 * Sends many enable or disable requests on one control connection, one at a time as
 * hoststatectl would, without a JVM per request: a thousand hoststatectl runs take minutes on
 * a loaded machine.
 */
final class ControlRequests {
    private ControlRequests() {
    }

    /** Sends {@code type} for each of {@code ids}; the answers that were not CTL_OK, one a line. */
    static String each(Path socket, MessageType type, Iterable<Integer> ids) throws Exception {
        StringBuilder failed = new StringBuilder();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            for (int id : ids) {
                ByteBuf req = Unpooled.buffer();
                Messages.encode(new Imsg(type, Messages.CONTROL_VERSION, 0, new CtlId(id, null)), req);
                ch.write(req.nioBuffer());
                req.release();
                Imsg answer = RelayControl.read(ch);
                while (answer.type() == MessageType.CTL_WARNING) {
                    // Before the answer: a disable that leaves a service without a host says so.
                    answer = RelayControl.read(ch);
                }
                if (answer.type() != MessageType.CTL_OK) {
                    failed.append(id).append(": ").append(answer.type()).append(' ').append(answer.payload()).append('\n');
                }
            }
        }
        return failed.toString();
    }
}
