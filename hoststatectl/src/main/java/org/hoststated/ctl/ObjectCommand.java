package org.hoststated.ctl;

import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code service|table|host enable|disable <id|name>}: one request, answered by CTL_OK or
 * CTL_FAIL. The subclasses only name the object kind and its two message types.
 */
abstract class ObjectCommand {
    @Spec
    CommandSpec spec;

    private final MessageType enable;
    private final MessageType disable;

    ObjectCommand(MessageType enable, MessageType disable) {
        this.enable = enable;
        this.disable = disable;
    }

    @Command(name = "enable", description = "Enable the ${PARENT-COMMAND-NAME} with this id or name.")
    public int enable(@Parameters(paramLabel = "<id|name>") String id) throws ControlException {
        return Hoststatectl.request(spec, enable, CtlId.parse(id));
    }

    @Command(name = "disable", description = "Disable the ${PARENT-COMMAND-NAME} with this id or name.")
    public int disable(@Parameters(paramLabel = "<id|name>") String id) throws ControlException {
        return Hoststatectl.request(spec, disable, CtlId.parse(id));
    }
}
