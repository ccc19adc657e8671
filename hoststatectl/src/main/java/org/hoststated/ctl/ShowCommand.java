package org.hoststated.ctl;

import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.ctl.SummaryFormatter.View;

/**
 * {@code show summary|hosts|relays}: sends CTL_SHOW_SUM and prints the rows of the reply stream
 * that its view shows, until CTL_END.
 */
final class ShowCommand implements Command {
    static final ShowCommand SUMMARY = new ShowCommand(View.SUMMARY);
    static final ShowCommand HOSTS = new ShowCommand(View.HOSTS);
    static final ShowCommand RELAYS = new ShowCommand(View.RELAYS);

    private final View view;

    private ShowCommand(View view) {
        this.view = view;
    }

    @Override
    public int run(CtlContext ctx, String argument) throws ControlException {
        try (ControlClient c = ctx.connect()) {
            c.send(MessageType.CTL_SHOW_SUM, new SummaryRequest(view.request()));
            SummaryFormatter f = new SummaryFormatter(view, ctx.out);
            boolean answered = false;
            try {
                for (;;) {
                    Imsg m = c.read();
                    if (m.type() == MessageType.CTL_FAIL) {
                        f.end();
                        return ctx.commandFailed(m);
                    }
                    // The header waits for the first answer: a daemon that never answers gets
                    // "no reply" alone, not an empty table above it.
                    if (!answered) {
                        f.header();
                        answered = true;
                    }
                    if (m.type() == MessageType.CTL_END) {
                        return Hoststatectl.EXIT_OK;
                    }
                    f.row(m);
                }
            } finally {
                f.end();
            }
        }
    }
}
