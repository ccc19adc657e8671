package org.hoststated.ctl;

import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code log brief|verbose}: sends CTL_LOG_VERBOSE, answered by CTL_OK or CTL_FAIL. */
@Command(name = "log", synopsisSubcommandLabel = "brief|verbose",
        description = "Set the daemon's log level.")
final class LogCommand {
    @Spec
    CommandSpec spec;

    @Command(name = "brief", description = "Log state changes and errors only.")
    int brief() throws ControlException {
        return Hoststatectl.request(spec, MessageType.CTL_LOG_VERBOSE, new Flag(false));
    }

    @Command(name = "verbose", description = "Log debug messages too.")
    int verbose() throws ControlException {
        return Hoststatectl.request(spec, MessageType.CTL_LOG_VERBOSE, new Flag(true));
    }
}
