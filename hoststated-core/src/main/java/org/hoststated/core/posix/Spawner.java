package org.hoststated.core.posix;

import java.io.IOException;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;

/**
 * Starts a child process with chosen descriptors on chosen numbers, and nothing else inherited.
 * Used by the parent to start the engines (socketpair ends on fds 3, 4, ...) and check scripts.
 *
 * <p>ProcessBuilder cannot do this: its jspawnhelper closes every fd from 3 up. This binds glibc's
 * posix_spawnp with file actions instead (JAVA-NOTES §2):
 * <ul>
 *   <li>each {@code childFd -> parentFd} becomes dup2 file actions; the copy the child gets has
 *       close-on-exec cleared, so the parent's own ends can (and should) stay close-on-exec;</li>
 *   <li>{@code closefrom_np(maxChildFd + 1)} (glibc 2.34+) closes everything else, which matters
 *       because the JDK opens jars and /dev/random without O_CLOEXEC: without it a child inherits
 *       ~30 stray fds, including the parent's end of its own socketpair, and never sees EOF;</li>
 *   <li>the signal mask is emptied (the JVM blocks some signals in its threads), and with
 *       {@code newSession} the child gets its own session, so a terminal's ^C reaches the parent
 *       only.</li>
 * </ul>
 *
 * <p>Fds 0, 1 and 2 are inherited unless mapped; map them to {@link Fds#openDevNull()} (see
 * {@link #stdioTo}) for a daemon. The environment is exactly {@code envp}.
 */
public final class Spawner {
    private static final long FILE_ACTIONS_SIZE = 256; // sizeof(posix_spawn_file_actions_t) is 80 on glibc
    private static final long SPAWNATTR_SIZE = 512;    // sizeof(posix_spawnattr_t) is 336 on glibc
    private static final long SIGSET_SIZE = 128;

    /**
     * Starts {@code executable} (searched in PATH if it has no slash).
     *
     * @param argv the child's argv; argv[0] may be any text, e.g. "hoststated: relay engine",
     *     which is what ps shows
     * @param envp the child's whole environment, "NAME=value" entries
     * @param dupFds child fd number -> parent fd to put there; the parent fds may be
     *     close-on-exec; duplicates of one parent fd are allowed
     * @param newSession whether the child calls setsid (own session and process group)
     * @throws IOException carrying strerror of posix_spawnp's error (e.g. ENOENT when the
     *     executable does not exist; glibc reports exec failures this way)
     */
    public SpawnedProcess spawn(String executable, List<String> argv, List<String> envp,
                                Map<Integer, Integer> dupFds, boolean newSession) throws IOException {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("argv must hold at least argv[0]");
        }
        Runtime rt = Native.RUNTIME;
        LibC libc = Native.LIBC;
        Pointer actions = Memory.allocateDirect(rt, FILE_ACTIONS_SIZE, true);
        Pointer attr = Memory.allocateDirect(rt, SPAWNATTR_SIZE, true);
        Pointer sigset = Memory.allocateDirect(rt, SIGSET_SIZE, true);
        check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions));
        try {
            check("posix_spawnattr_init", libc.posix_spawnattr_init(attr));
            try {
                addFileActions(actions, dupFds);
                check("sigemptyset", libc.sigemptyset(sigset) == 0 ? 0 : Native.errno());
                check("posix_spawnattr_setsigmask", libc.posix_spawnattr_setsigmask(attr, sigset));
                short flags = (short) (Native.POSIX_SPAWN_SETSIGMASK | (newSession ? Native.POSIX_SPAWN_SETSID : 0));
                check("posix_spawnattr_setflags", libc.posix_spawnattr_setflags(attr, flags));
                return spawnWith(executable, argv, envp, actions, attr);
            } finally {
                libc.posix_spawnattr_destroy(attr);
            }
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
            Reference.reachabilityFence(sigset);
        }
    }

    /** Returns a copy of {@code dupFds} with fds 0, 1 and 2 mapped to {@code fd}, e.g. /dev/null. */
    public static Map<Integer, Integer> stdioTo(int fd, Map<Integer, Integer> dupFds) {
        Map<Integer, Integer> all = new TreeMap<>(dupFds);
        for (int stdio = 0; stdio <= 2; stdio++) {
            all.put(stdio, fd);
        }
        return all;
    }

    /**
     * Two rounds of dup2 so that a mapping like {3 -> 4, 4 -> 3} cannot overwrite a source
     * before it is copied: first every source to a scratch number above all fds involved, then
     * each scratch copy to its target. closefrom then closes the scratch copies and all the rest.
     */
    private static void addFileActions(Pointer actions, Map<Integer, Integer> dupFds) throws IOException {
        int maxChild = 2;
        int base = 2;
        for (Map.Entry<Integer, Integer> e : dupFds.entrySet()) {
            if (e.getKey() < 0 || e.getValue() < 0) {
                throw new IllegalArgumentException("negative fd in " + dupFds);
            }
            maxChild = Math.max(maxChild, e.getKey());
            base = Math.max(base, Math.max(e.getKey(), e.getValue()));
        }
        base++;
        LibC libc = Native.LIBC;
        List<Map.Entry<Integer, Integer>> entries = new ArrayList<>(new TreeMap<>(dupFds).entrySet());
        long limit = Fds.openFileLimit();
        if (limit >= 0 && base + entries.size() > limit) {
            // posix_spawn_file_actions_adddup2 refuses a number at the limit with EBADF, which
            // told the operator nothing ("Bad file descriptor").
            throw new IOException("its descriptors are handed over through numbers up to " + (base + entries.size() - 1)
                    + ", and this process may open " + limit + ": raise the limit of open files (LimitNOFILE= or ulimit -n)");
        }
        for (int i = 0; i < entries.size(); i++) {
            check("posix_spawn_file_actions_adddup2",
                    libc.posix_spawn_file_actions_adddup2(actions, entries.get(i).getValue(), base + i));
        }
        for (int i = 0; i < entries.size(); i++) {
            check("posix_spawn_file_actions_adddup2",
                    libc.posix_spawn_file_actions_adddup2(actions, base + i, entries.get(i).getKey()));
        }
        check("posix_spawn_file_actions_addclosefrom_np",
                libc.posix_spawn_file_actions_addclosefrom_np(actions, maxChild + 1));
    }

    private static SpawnedProcess spawnWith(String executable, List<String> argv, List<String> envp,
                                            Pointer actions, Pointer attr) throws IOException {
        List<Pointer> keepAlive = new ArrayList<>();
        Pointer argvArray = cStringArray(argv, keepAlive);
        Pointer envpArray = cStringArray(envp, keepAlive);
        int[] pid = new int[1];
        int rc = Native.LIBC.posix_spawnp(pid, executable, actions, attr, argvArray, envpArray);
        Reference.reachabilityFence(keepAlive);
        if (rc != 0) {
            throw Errno.exception("posix_spawnp " + executable, rc);
        }
        return new SpawnedProcess(pid[0]);
    }

    /** A NULL-terminated char *[] in native memory; the strings' memory is added to {@code keepAlive}. */
    private static Pointer cStringArray(List<String> strings, List<Pointer> keepAlive) {
        Runtime rt = Native.RUNTIME;
        int ptrSize = rt.addressSize();
        Pointer array = Memory.allocateDirect(rt, (long) (strings.size() + 1) * ptrSize, true);
        for (int i = 0; i < strings.size(); i++) {
            byte[] bytes = strings.get(i).getBytes(StandardCharsets.UTF_8);
            Pointer s = Memory.allocateDirect(rt, bytes.length + 1, true);
            s.put(0, bytes, 0, bytes.length);
            keepAlive.add(s);
            array.putPointer((long) i * ptrSize, s);
        }
        keepAlive.add(array);
        return array;
    }

    private static void check(String call, int rc) throws IOException {
        if (rc != 0) {
            throw Errno.exception(call, rc);
        }
    }
}
