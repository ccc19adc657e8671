package org.hoststated.ctl;

import java.nio.charset.StandardCharsets;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Wire;

/**
 * The commands that are one request answered by CTL_OK or CTL_FAIL: {@code service|table|host
 * enable|disable <id|name>}, {@code reload}, {@code poll}, {@code stop}, {@code log
 * brief|verbose}.
 */
final class RequestCommand implements Command {
    private enum Payload { NONE, OBJECT, VERBOSE, BRIEF }

    private final MessageType type;
    private final Payload payload;

    private RequestCommand(MessageType type, Payload payload) {
        this.type = type;
        this.payload = payload;
    }

    static RequestCommand of(MessageType type) {
        return new RequestCommand(type, Payload.NONE);
    }

    /** An enable or disable request naming its object by the command's argument. */
    static RequestCommand forObject(MessageType type) {
        return new RequestCommand(type, Payload.OBJECT);
    }

    static RequestCommand logVerbose(boolean on) {
        return new RequestCommand(MessageType.CTL_LOG_VERBOSE, on ? Payload.VERBOSE : Payload.BRIEF);
    }

    @Override
    public int run(CtlContext ctx, String argument) throws ControlException {
        return ctx.request(type, payload(argument));
    }

    private Object payload(String argument) throws ControlException {
        switch (payload) {
            case OBJECT:
                return objectId(argument);
            case VERBOSE:
                return new Flag(true);
            case BRIEF:
                return new Flag(false);
            default:
                return Empty.INSTANCE;
        }
    }

    /**
     * The original's rule: digits are an id, anything else a name. Checked here, so that a
     * name the daemon could never hold is reported without a connection.
     */
    static CtlId objectId(String argument) throws ControlException {
        if (argument.isEmpty()) {
            throw new ControlException("empty id or name");
        }
        if (argument.getBytes(StandardCharsets.UTF_8).length > Wire.MAX_NAME) {
            throw new ControlException("name too long: at most " + Wire.MAX_NAME + " bytes");
        }
        return CtlId.parse(argument);
    }
}
