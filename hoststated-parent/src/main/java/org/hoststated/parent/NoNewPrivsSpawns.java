package org.hoststated.parent;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.hoststated.core.posix.Privileges;
import org.hoststated.core.posix.SpawnedProcess;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the engines that drop their privileges (hce, relay) from a thread with no_new_privs
 * set, so every thread of theirs has it from the start: set by the engine itself, it held
 * only for the threads the engine started after, not for the JVM's own (probe F:
 * {@code NoNewPrivs: 0} in their status). A spawn takes the calling thread's flag, and the flag
 * cannot be cleared, so that thread does nothing else: the parent's other children (pfe, which
 * runs nft as root, and check scripts, whose programs may rely on file capabilities) come
 * from other threads.
 */
final class NoNewPrivsSpawns {
    private static final Logger log = LoggerFactory.getLogger(NoNewPrivsSpawns.class);
    private static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(() -> {
            try {
                Privileges.noNewPrivs();
            } catch (IOException e) {
                log.warn("engines start without no_new_privs: {}", e.getMessage());
            }
            r.run();
        }, "hoststated-engine-spawn");
        t.setDaemon(true);
        return t;
    });

    /** A spawn that may fail. */
    interface Spawn {
        SpawnedProcess run() throws IOException;
    }

    private NoNewPrivsSpawns() {
    }

    static SpawnedProcess spawn(Spawn s) throws IOException {
        try {
            return THREAD.submit(s::run).get();
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            throw c instanceof IOException io ? io : new IOException(String.valueOf(c), c);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting an engine");
        }
    }
}
