package org.hoststated.parent;

import java.io.IOException;
import java.io.PrintWriter;

/** Runs the parent until it is told to stop. */
final class Daemon {
    private Daemon() {
    }

    /** @return the exit status: 0 after an orderly stop, 1 when start-up failed */
    static int run(ConfigSource source, ConfigSource.Loaded first, boolean foreground, PrintWriter err) {
        Parent parent = new Parent(source, foreground);
        try {
            parent.start(first);
        } catch (IOException e) {
            // In the foreground the log is stderr already (each line tagged "parent: "), so
            // the message is printed once; detached, only the log reaches anyone.
            if (!foreground) {
                err.println("hoststated: " + e.getMessage());
            }
            org.slf4j.LoggerFactory.getLogger(Daemon.class).error("{}", e.getMessage());
            parent.shutdown();
            return 1;
        }
        try {
            parent.awaitStop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }
}
