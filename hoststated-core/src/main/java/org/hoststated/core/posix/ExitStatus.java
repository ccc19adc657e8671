package org.hoststated.core.posix;

/**
 * How a child ended, decoded from a waitpid(2) status: either an exit code or the signal that
 * killed it. Used by the parent to log a child's death ("pfe exited with code 1") and decide on a
 * restart.
 *
 * @param exitCode the exit code, or -1 when a signal killed the child
 * @param signal the killing signal, or 0 when the child exited
 * @param coreDumped whether the kernel wrote a core dump
 */
public record ExitStatus(int exitCode, int signal, boolean coreDumped) {

    /** Decodes a raw status as WIFEXITED/WEXITSTATUS/WTERMSIG/WCOREDUMP would. */
    public static ExitStatus decode(int status) {
        int termSig = status & 0x7f;
        if (termSig == 0) {
            return new ExitStatus((status >> 8) & 0xff, 0, false);
        }
        return new ExitStatus(-1, termSig, (status & 0x80) != 0);
    }

    /** Whether the child exited by itself (exit or return from main) rather than by a signal. */
    public boolean exited() {
        return signal == 0;
    }

    @Override
    public String toString() {
        if (exited()) {
            return "exited with code " + exitCode;
        }
        return "killed by signal " + signal + (coreDumped ? " (core dumped)" : "");
    }
}
