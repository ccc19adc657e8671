package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.imsg.ImsgHandler;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.ExitStatus;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.posix.SpawnedProcess;
import org.hoststated.core.posix.Spawner;
import org.hoststated.core.proc.EngineSettings;
import org.hoststated.core.proc.FdTag;

/**
 * One running child engine as the parent sees it: the JVM process, the imsg channel to it
 * (the child's fd 3) and the socket on which descriptors are passed to it (its fd 4). A
 * restart makes a new instance. Owned by the parent's event loop.
 */
final class EngineProcess {
    final EngineSpec spec;
    final SpawnedProcess process;
    final ImsgChannel channel;
    private final FdSender fdChannel;
    /** What the engine writes on its fds 1 and 2, copied to the parent's log. */
    final EngineOutput output;
    /** When the watchdog's unanswered PING went out; 0 while none is outstanding. */
    long pingSentNanos;
    /** Whether the engine has answered a PING: until then it may still be starting. */
    boolean answeredPing;
    /**
     * The last configuration generation sent and not yet answered, or 0: parsing a large one
     * holds the engine's loop.
     */
    int configuring;
    /** When the engine first ran a configuration it was sent (ENGINE_READY; System.nanoTime), or 0. */
    long servingSinceNanos;

    private EngineProcess(EngineSpec spec, SpawnedProcess process, ImsgChannel channel, FdSender fdChannel,
                          EngineOutput output) {
        this.spec = spec;
        this.process = process;
        this.channel = channel;
        this.fdChannel = fdChannel;
        this.output = output;
    }

    /**
     * Starts the engine's JVM with a new channel on fd 3 and a descriptor socket on fd 4, its
     * jars from fd 10 on ({@link EngineClassPath}), /dev/null on fd 0, its output socket
     * ({@link EngineOutput}) on fds 1 and 2, and nothing else of the parent's (closefrom in the
     * spawn).
     */
    static EngineProcess start(EngineSpec spec, EngineSettings settings, EventLoop loop, ImsgHandler handler)
            throws IOException {
        List<Integer> opened = new ArrayList<>(7);
        int[] imsg;
        int[] fds;
        int[] out;
        int devNull;
        try {
            imsg = open(SocketPair.open(), opened);
            fds = open(SocketPair.open(), opened);
            out = open(SocketPair.open(), opened);
            devNull = Fds.openDevNull();
            opened.add(devNull);
        } catch (IOException e) {
            opened.forEach(EngineProcess::closeQuietly);
            throw new IOException("cannot start " + spec.title + ": " + e.getMessage(), e);
        }
        SpawnedProcess p;
        try {
            EngineClassPath jars = EngineClassPath.ofThisProcess();
            Map<Integer, Integer> childFds = new HashMap<>(jars.descriptors);
            childFds.put(0, devNull);
            childFds.put(1, out[1]);
            childFds.put(2, out[1]);
            childFds.put(EngineSettings.PARENT_FD, imsg[1]);
            childFds.put(EngineSettings.FD_CHANNEL_FD, fds[1]);
            List<String> argv = argv(spec, jars.classPath);
            p = settings.user() == null
                    ? new Spawner().spawn(javaExecutable(), argv, settings.toEnvironment(), childFds, true)
                    : NoNewPrivsSpawns.spawn(() -> new Spawner().spawn(javaExecutable(), argv,
                            settings.toEnvironment(), childFds, true));
        } catch (IOException e) {
            for (int parentEnd : new int[] {imsg[0], fds[0], out[0]}) {
                closeQuietly(parentEnd);
            }
            throw new IOException("cannot start " + spec.title + ": " + e.getMessage(), e);
        } finally {
            for (int childEnd : new int[] {imsg[1], fds[1], out[1], devNull}) {
                closeQuietly(childEnd);
            }
        }
        EngineOutput output = EngineOutput.start(spec.proc.title(), out[0], p.pid());
        ImsgChannel ch;
        try {
            ch = ImsgChannel.open(imsg[0], ProcId.PARENT, spec.proc, loop, handler);
        } catch (IOException e) {
            // The child sees end of file on both and exits; the caller restarts it.
            closeQuietly(fds[0]);
            throw e;
        }
        return new EngineProcess(spec, p, ch, new FdSender(fds[0], loop, spec.title), output);
    }

    /** Notes both ends of a new pair among {@code opened}, to close them all on a failure. */
    private static int[] open(int[] pair, List<Integer> opened) {
        opened.add(pair[0]);
        opened.add(pair[1]);
        return pair;
    }

    /**
     * Passes a descriptor with its tag, now or as soon as the child reads; the child gets its own
     * copy, and the caller may close {@code fd} at once.
     *
     * @throws FdSender.NotReading when the child has left too many unread
     */
    void passFd(FdTag tag, int fd) throws IOException {
        fdChannel.pass(tag, fd);
    }

    /** Whether descriptors passed wait for the child to read them. */
    boolean fdsWaiting() {
        return fdChannel.waiting() > 0;
    }

    int pid() {
        return process.pid();
    }

    Optional<ExitStatus> tryReap() {
        return process.tryReap();
    }

    /** Closes the parent's ends; the child sees EOF and exits. */
    void closeChannels() {
        channel.close();
        fdChannel.close();
    }

    static String javaExecutable() {
        return System.getProperty("java.home") + "/bin/java";
    }

    private static List<String> argv(EngineSpec spec, String classPath) {
        List<String> argv = new ArrayList<>();
        argv.add(spec.title);
        argv.addAll(EngineSpec.COMMON);
        argv.addAll(spec.jvmFlags());
        argv.add("-cp");
        argv.add(classPath);
        argv.add(spec.mainClass);
        return argv;
    }

    private static void closeQuietly(int fd) {
        try {
            SocketPair.close(fd);
        } catch (IOException e) {
            // Nothing to do: the descriptor is gone either way.
        }
    }
}
