package org.hoststated.parent;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.posix.Privileges;

/**
 * The command line a {@code check script} runs under, for {@link ScriptRunner}: the privilege
 * drop (setpriv, numeric ids) and, where the system allows it, a PID namespace for everything
 * the script starts.
 *
 * <p>Killing the script's process group when it ends misses what the script started in a
 * session of its own ({@code setsid}, a daemon's double fork): that ran on as the unprivileged
 * user, one more at every check. So the script runs as
 * {@code unshare --pid -- setpriv ... -- sh -c 'sleep N & exec "$0" "$@"' SCRIPT HOST} (each
 * program by its full path, {@link #program}):
 * unshare without {@code --fork} creates the namespace for the children only, so the script
 * itself (the same process, through the execs) stays the parent's child with its own pid, exit
 * status and signals exactly as without a namespace; its first child, the {@code sleep}, is the
 * namespace's init, and everything the script starts is inside. When the script has ended (or
 * is killed at its timeout) the runner kills its process group, which holds the sleep; the
 * kernel then kills all that is left in the namespace, whatever its session. Nothing inside can
 * kill that init (a namespace's init ignores signals from inside it without a handler), and
 * should the daemon die, the sleep ends by itself a second after the script's timeout.
 *
 * <p>The script is not the namespace's init on purpose: an init ignores its own signals, so a
 * script that kills itself ({@code kill -9 $$}) would run on. Commands the script starts see
 * their parent as pid 0 (it is outside their namespace).
 *
 * <p>Where unshare is missing or not allowed (a container without CAP_SYS_ADMIN), scripts run as
 * before, with a warning: {@link #probe} finds out once.
 */
final class ScriptCommandLine {
    /** The namespace's init: forked first, then the shell becomes the script. */
    private static final String TRAMPOLINE = "sleep %d & exec \"$0\" \"$@\"";

    /**
     * The programs scripts run under, found once in {@link ScriptRunner#SEARCH_PATH}: looked up
     * in the PATH the parent was started with, a user's directory early in root's PATH (a
     * {@code sudo -E}) had its own {@code unshare} run as root at every check (probe G of
     * session 56).
     */
    private static final String UNSHARE = program("unshare");
    private static final String SETPRIV = program("setpriv");
    private static final String SH = program("sh");

    private final boolean pidNamespace;

    /** @param pidNamespace whether scripts get a PID namespace ({@link #probe} said it works) */
    ScriptCommandLine(boolean pidNamespace) {
        this.pidNamespace = pidNamespace;
    }

    boolean pidNamespace() {
        return pidNamespace;
    }

    /**
     * The argv that runs {@code script host}.
     *
     * @param user the unprivileged user, or null to keep the parent's (tests)
     */
    List<String> argv(Privileges.Passwd user, String script, String host, int timeoutMs) {
        List<String> argv = new ArrayList<>();
        if (pidNamespace) {
            argv.addAll(List.of(UNSHARE, "--pid", "--"));
        }
        if (user != null) {
            // Numeric ids: the user's group need not have the user's name (nobody:nogroup), and
            // setpriv's own failure would exit 1, which reads as "up". The user's group only,
            // as the engines and relayd's scripts have: not the user's other groups.
            argv.addAll(List.of(SETPRIV, "--reuid=" + user.uid(), "--regid=" + user.gid(), "--clear-groups", "--"));
        }
        if (pidNamespace) {
            long initSeconds = TimeUnit.MILLISECONDS.toSeconds(timeoutMs + 999) + 1;
            argv.addAll(List.of(SH, "-c", String.format(TRAMPOLINE, initSeconds)));
        }
        argv.add(script);
        argv.add(host);
        return argv;
    }

    /**
     * Whether {@code unshare --pid} works here: empty if so, else why not (unshare's own words,
     * or that it could not be started). Runs a process and waits for it: call it off any event
     * loop, once.
     */
    static Optional<String> probe() {
        if (ProcessHandle.current().pid() == 1) {
            // The namespace's init outlives the script and is then the daemon's to reap, which
            // only waits for its own children: one zombie per check (a container without an
            // init of its own).
            return Optional.of("the daemon is pid 1");
        }
        return probe(List.of(UNSHARE, "--pid", "--", "true"));
    }

    /** {@code name} in {@link ScriptRunner#SEARCH_PATH}, or in /usr/bin where it is in none (its run fails, said). */
    static String program(String name) {
        return CheckScripts.onSearchPath(name, p -> Files.isRegularFile(p) && Files.isExecutable(p))
                .map(Path::toString).orElse("/usr/bin/" + name);
    }

    /** {@link #probe()} with another command (tests: one that is missing, or not allowed). */
    static Optional<String> probe(List<String> command) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        } catch (IOException e) {
            return Optional.of("cannot run unshare: " + e.getMessage());
        }
        try {
            String out = new String(p.getInputStream().readNBytes(1024), StandardCharsets.UTF_8).trim();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return Optional.of("unshare --pid did not end within 10 s");
            }
            if (p.exitValue() != 0) {
                return Optional.of(out.isEmpty() ? "unshare --pid exited " + p.exitValue() : out.lines().findFirst().get());
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("unshare --pid: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }
}
