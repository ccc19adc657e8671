package org.hoststated.ctl;

import java.util.concurrent.Callable;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code poll}: sends CTL_POLL, answered by CTL_OK or CTL_FAIL. */
@Command(name = "poll", description = "Check all hosts now.")
final class PollCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ControlException {
        return Hoststatectl.request(spec, MessageType.CTL_POLL);
    }
}
