package org.hoststated.ctl;

import java.util.concurrent.Callable;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code stop}: sends CTL_SHUTDOWN, answered by CTL_OK or CTL_FAIL. */
@Command(name = "stop", description = "Stop the daemon.")
final class StopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ControlException {
        return Hoststatectl.request(spec, MessageType.CTL_SHUTDOWN);
    }
}
