package org.hoststated.ctl;

import java.io.PrintWriter;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.ctl.SummaryFormatter.View;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code show summary|hosts|relays|sessions}. The first three send CTL_SHOW_SUM and print the
 * rows of the reply stream that their view shows, until CTL_END.
 */
@Command(name = "show", synopsisSubcommandLabel = "summary|hosts|relays|sessions",
        description = "Show the state of services, tables, hosts and relays.")
final class ShowCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "summary", description = "Show all services, tables, hosts and relays.")
    int summary() throws ControlException {
        return show(View.SUMMARY);
    }

    @Command(name = "hosts", description = "Show services, tables and hosts with their check counters.")
    int hosts() throws ControlException {
        return show(View.HOSTS);
    }

    @Command(name = "relays", description = "Show relays and their session statistics.")
    int relays() throws ControlException {
        return show(View.RELAYS);
    }

    @Command(name = "sessions", description = "Show the relays' sessions.")
    int sessions() throws ControlException {
        // TODO(#5): send CTL_SESSION and print the sessions once the daemon can list them.
        // Until then connect anyway, so that a daemon that is not running is reported.
        Hoststatectl.connect(spec).close();
        PrintWriter out = spec.commandLine().getOut();
        out.print(SummaryFormatter.noSessions());
        out.flush();
        return Hoststatectl.EXIT_OK;
    }

    private int show(View view) throws ControlException {
        try (ControlClient c = Hoststatectl.connect(spec)) {
            c.send(MessageType.CTL_SHOW_SUM);
            SummaryFormatter f = new SummaryFormatter(view, spec.commandLine().getOut());
            f.header();
            try {
                for (;;) {
                    Imsg m = c.read();
                    if (m.type() == MessageType.CTL_END) {
                        return Hoststatectl.EXIT_OK;
                    }
                    if (m.type() == MessageType.CTL_FAIL) {
                        f.end();
                        return Hoststatectl.commandFailed(spec, m);
                    }
                    f.row(m);
                }
            } finally {
                f.end();
            }
        }
    }
}
