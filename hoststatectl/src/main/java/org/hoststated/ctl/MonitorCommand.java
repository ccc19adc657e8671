package org.hoststated.ctl;

import java.io.PrintWriter;
import java.time.Clock;
import java.util.concurrent.Callable;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code monitor}: sends CTL_NOTIFY, then prints each event the daemon forwards as it arrives,
 * until the daemon closes the connection (reported, exit 1, as the original's "pipe closed").
 */
@Command(name = "monitor", description = "Print the daemon's events as they happen.")
final class MonitorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ControlException {
        try (ControlClient c = Hoststatectl.connectNoTimeout(spec)) {
            c.send(MessageType.CTL_NOTIFY);
            PrintWriter out = spec.commandLine().getOut();
            Clock clock = Hoststatectl.clock(spec);
            for (;;) {
                Imsg m = c.read();
                if (m.type() == MessageType.CTL_OK) {
                    continue; // the daemon may acknowledge CTL_NOTIFY
                }
                if (m.type() == MessageType.CTL_FAIL) {
                    return Hoststatectl.commandFailed(spec, m);
                }
                String event = SummaryFormatter.monitorEvent(m, c.lastLength(), clock.instant(), clock.getZone());
                if (event == null) {
                    throw ControlException.unexpected(m);
                }
                out.print(event);
                out.flush();
            }
        }
    }
}
