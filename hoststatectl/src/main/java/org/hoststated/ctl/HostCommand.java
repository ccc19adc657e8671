package org.hoststated.ctl;

import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;

/** {@code host enable|disable <id|name>}. */
@Command(name = "host", synopsisSubcommandLabel = "enable|disable",
        description = "Enable or disable a host (and its checks).")
final class HostCommand extends ObjectCommand {
    HostCommand() {
        super(MessageType.CTL_HOST_ENABLE, MessageType.CTL_HOST_DISABLE);
    }
}
