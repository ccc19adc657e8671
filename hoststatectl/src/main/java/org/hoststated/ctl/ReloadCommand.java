package org.hoststated.ctl;

import java.util.concurrent.Callable;
import org.hoststated.core.msg.MessageType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code reload}: sends CTL_RELOAD, answered by CTL_OK or CTL_FAIL. */
@Command(name = "reload", description = "Reload the configuration file; on errors the daemon keeps the running one.")
final class ReloadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws ControlException {
        return Hoststatectl.request(spec, MessageType.CTL_RELOAD);
    }
}
