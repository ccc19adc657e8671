package org.hoststated.ctl;

import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;

/** {@code service enable|disable <id|name>}. */
@Command(name = "service", synopsisSubcommandLabel = "enable|disable",
        description = "Enable or disable a service (its main and backup tables and redirection).")
final class ServiceCommand extends ObjectCommand {
    ServiceCommand() {
        super(MessageType.CTL_SERVICE_ENABLE, MessageType.CTL_SERVICE_DISABLE);
    }
}
