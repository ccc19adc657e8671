package org.hoststated.ctl;

import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;

/**
 * {@code show sessions}: sends CTL_SHOW_SESSIONS (the parent asks the relay engine) and prints
 * each CTL_SESSION in the original's two-line layout, until CTL_END.
 */
final class ShowSessionsCommand implements Command {
    static final ShowSessionsCommand INSTANCE = new ShowSessionsCommand();

    private ShowSessionsCommand() {
    }

    @Override
    public int run(CtlContext ctx, String argument) throws ControlException {
        try (ControlClient c = ctx.connect()) {
            c.send(MessageType.CTL_SHOW_SESSIONS);
            StringBuilder b = new StringBuilder(160);
            try {
                for (;;) {
                    Imsg m = c.read();
                    switch (m.type()) {
                        case CTL_END:
                            return Hoststatectl.EXIT_OK;
                        case CTL_FAIL:
                            return ctx.commandFailed(m);
                        case CTL_SESSION:
                            b.setLength(0);
                            ctx.out.append(SummaryFormatter.session(b, m.payload(CtlSession.class)));
                            break;
                        default:
                            throw ControlException.unexpected(m);
                    }
                }
            } finally {
                ctx.out.flush();
            }
        }
    }
}
