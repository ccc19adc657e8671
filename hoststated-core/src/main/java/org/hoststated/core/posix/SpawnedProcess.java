package org.hoststated.core.posix;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A child started by {@link Spawner}: its pid, reaping and signalling. Owned by the parent's
 * supervisor, one per engine (and per check script).
 *
 * <p>Reaping is per pid with waitpid(pid, WNOHANG), never waitpid(-1), which would steal the
 * status of children the JDK started through ProcessBuilder. Once reaped the pid is never
 * signalled again: the kernel may already have given it to another process.
 */
public final class SpawnedProcess {
    public static final int SIGHUP = 1;
    public static final int SIGINT = 2;
    public static final int SIGKILL = 9;
    public static final int SIGTERM = 15;

    private final int pid;
    private ExitStatus status; // guarded by this

    SpawnedProcess(int pid) {
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }

    /**
     * Reaps the child if it has ended, without blocking.
     *
     * @return its exit status, or empty while it runs
     * @throws IllegalStateException if the pid is not our child any more (someone else reaped it,
     *     for example because SIGCHLD is ignored)
     */
    public synchronized Optional<ExitStatus> tryReap() {
        if (status != null) {
            return Optional.of(status);
        }
        int[] raw = new int[1];
        while (true) {
            int r = Native.LIBC.waitpid(pid, raw, Native.WNOHANG);
            if (r == pid) {
                status = ExitStatus.decode(raw[0]);
                return Optional.of(status);
            }
            if (r == 0) {
                return Optional.empty();
            }
            int errno = Native.errno();
            if (errno != Native.EINTR) {
                throw new IllegalStateException("waitpid " + pid + ": " + Errno.strerror(errno));
            }
        }
    }

    /**
     * Waits up to {@code timeout} for the child to end and reaps it. The wait itself is the JDK's
     * {@code ProcessHandle.onExit()}, which watches the pid without reaping it (waitid with
     * WNOWAIT), so no thread polls or sleeps here.
     *
     * @return its exit status, or empty if it still runs after {@code timeout}
     */
    public Optional<ExitStatus> waitFor(Duration timeout) throws InterruptedException {
        Optional<ExitStatus> done = tryReap();
        if (done.isPresent()) {
            return done;
        }
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isPresent()) {
            try {
                handle.get().onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return tryReap();
            } catch (ExecutionException e) {
                throw new IllegalStateException("waiting for pid " + pid + ": " + e.getCause(), e.getCause());
            }
        }
        return tryReap();
    }

    /**
     * Sends {@code signal} to the child.
     *
     * @return false if the child was already reaped, so nothing was sent
     */
    public synchronized boolean kill(int signal) throws IOException {
        if (status != null) {
            return false;
        }
        if (Native.LIBC.kill(pid, signal) < 0) {
            throw Errno.lastException("kill " + pid + " signal " + signal);
        }
        return true;
    }

    /**
     * Sends {@code signal} to the process group the child leads (spawned with a session of its
     * own), which still holds what it started after the child itself exited; quietly does nothing
     * when the group is empty.
     */
    public void killGroup(int signal) {
        Native.LIBC.kill(-pid, signal);
    }

    @Override
    public String toString() {
        return "pid " + pid;
    }
}
