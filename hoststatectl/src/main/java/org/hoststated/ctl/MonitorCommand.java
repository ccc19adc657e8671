package org.hoststated.ctl;

import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;

/**
 * {@code monitor}: sends CTL_NOTIFY, then prints each event the daemon forwards as it arrives,
 * until the daemon closes the connection (reported, exit 1, as the original's "pipe closed").
 */
final class MonitorCommand implements Command {
    static final MonitorCommand INSTANCE = new MonitorCommand();

    private MonitorCommand() {
    }

    @Override
    public int run(CtlContext ctx, String argument) throws ControlException {
        try (ControlClient c = ctx.connectNoTimeout()) {
            c.send(MessageType.CTL_NOTIFY);
            for (;;) {
                Imsg m = c.read();
                if (m.type() == MessageType.CTL_OK) {
                    continue; // the daemon may acknowledge CTL_NOTIFY
                }
                if (m.type() == MessageType.CTL_FAIL) {
                    return ctx.commandFailed(m);
                }
                String event = SummaryFormatter.monitorEvent(m, c.lastLength(), ctx.clock().instant(),
                        ctx.clock().getZone());
                if (event == null) {
                    throw ControlException.unexpected(m);
                }
                ctx.out.print(event);
                ctx.flushOut();
            }
        }
    }
}
