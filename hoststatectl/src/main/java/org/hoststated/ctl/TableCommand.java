package org.hoststated.ctl;

import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;

/** {@code table enable|disable <id|name>}. */
@Command(name = "table", synopsisSubcommandLabel = "enable|disable",
        description = "Enable or disable a table (and the checks of its hosts).")
final class TableCommand extends ObjectCommand {
    TableCommand() {
        super(MessageType.CTL_TABLE_ENABLE, MessageType.CTL_TABLE_DISABLE);
    }
}
