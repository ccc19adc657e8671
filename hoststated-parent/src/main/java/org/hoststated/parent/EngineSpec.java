package org.hoststated.parent;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hoststated.core.msg.ProcId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How each child engine is started: its main class, its {@code ps} title and its JVM flags.
 * The flags keep start-up and memory low (JAVA-NOTES: C1 only and the serial collector for
 * pfe and hce); the relay keeps C2, since it carries the traffic, and runs without Netty's
 * buffer leak sampling. The relay's direct memory, where all its buffers live, is sized by the
 * machine's memory rather than tied to its small heap ({@link #relayDirectMemory}).
 */
enum EngineSpec {
    PFE(ProcId.PFE, "org.hoststated.pfe.PfeMain", "hoststated: pf engine",
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-Xss512k", "-XX:CICompilerCount=1")),
    HCE(ProcId.HCE, "org.hoststated.hce.HceMain", "hoststated: health check engine",
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-Xss512k", "-XX:CICompilerCount=1")),
    RELAY(ProcId.RELAY, "org.hoststated.relay.RelayMain", "hoststated: relay engine",
            // The heap bounds the sessions (SessionLimit.forHeap: 16 KiB each, so 16,384); the
            // collector takes it from the system only as sessions need it.
            List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx256m", "-Xss512k",
                    // Netty's default leak sampling records a stack trace every 128th buffer:
                    // 1.4 % of a TCP relay's CPU (bench/relay profile); tests run it paranoid.
                    "-Dio.netty.leakDetection.level=disabled",
                    // One receive per read into the buffer ring (ReceiveRing): a multishot
                    // receive or a bundle would take more than one read past back-pressure.
                    "-Dio.netty.iouring.recvMultiShotEnabled=false",
                    "-Dio.netty.iouring.recvsendBundleEnabled=false",
                    // One accept per submission: a multishot accept that an error ends (the
                    // engine out of descriptors) is armed again at once whatever the listener
                    // wants, a busy loop; a single accept waits out the listener's pause.
                    "-Dio.netty.iouring.acceptMultiShotEnabled=false",
                    // Netty allocates direct memory itself and counts it (overriding COMMON):
                    // past the limit an allocation fails at once, where the JDK's route
                    // collects garbage and sleeps up to half a second on the event loop first,
                    // so a relay engine short of memory stopped answering every client.
                    "--add-opens=java.base/java.nio=ALL-UNNAMED", "-Dio.netty.tryReflectionSetAccessible=true"));

    /** Flags every child gets: no hsperfdata files (they outlive a privilege drop), quiet native access. */
    static final List<String> COMMON = List.of("-XX:-UsePerfData", "-XX:+UseCompressedOops",
            "-Xshare:auto", "-Djava.net.preferIPv4Stack=false", "-Dio.netty.tryReflectionSetAccessible=false");

    final ProcId proc;
    final String mainClass;
    final String title;
    private final List<String> fixedFlags;

    EngineSpec(ProcId proc, String mainClass, String title, List<String> jvmFlags) {
        this.proc = proc;
        this.mainClass = mainClass;
        this.title = title;
        this.fixedFlags = jvmFlags;
    }

    /** The flags of this engine's JVM, after {@link #COMMON}. */
    List<String> jvmFlags() {
        if (this != RELAY) {
            return fixedFlags;
        }
        List<String> all = new ArrayList<>(fixedFlags);
        all.add("-XX:MaxDirectMemorySize=" + (relayDirectMemory(physicalMemory()) >> 20) + "m");
        relayTransportFlag(System.getenv(RELAY_TRANSPORT_VARIABLE)).ifPresent(all::add);
        return all;
    }

    /** Names the relay engine's transport, for a kernel whose io_uring misbehaves or to compare the two. */
    static final String RELAY_TRANSPORT_VARIABLE = "HOSTSTATED_RELAY_TRANSPORT";

    /**
     * The relay's flag for {@code value} of {@link #RELAY_TRANSPORT_VARIABLE}: "epoll" forces
     * epoll; unset, empty or "io_uring" leaves the choice to the relay (io_uring where the
     * kernel allows it). Anything else is logged and ignored rather than refused: the daemon
     * must still start when the variable is set for another version.
     */
    static Optional<String> relayTransportFlag(String value) {
        if (value == null || value.isEmpty() || value.equals("io_uring")) {
            return Optional.empty();
        }
        if (value.equals("epoll")) {
            return Optional.of("-Dhoststated.relay.transport=epoll");
        }
        log.warn("{}: \"{}\" is neither epoll nor io_uring, ignored", RELAY_TRANSPORT_VARIABLE, value);
        return Optional.empty();
    }

    static final long MIB = 1L << 20;
    private static final Logger log = LoggerFactory.getLogger(EngineSpec.class);

    /**
     * The relay engine's direct memory: an eighth of the machine's ({@code physical} bytes),
     * at least 96 MiB and at most 1 GiB (not the JVM's default, the engine's heap). A session
     * holds up to about 160 KiB for slow peers while memory is tight, so 96 MiB serves a few
     * hundred slow downloads at once and 1 GiB several thousand. Memory is taken only as
     * sessions need it.
     */
    static long relayDirectMemory(long physical) {
        return Math.max(96 * MIB, Math.min(1024 * MIB, physical / 8));
    }

    /** The memory of this machine, or of the container the daemon runs in; 0 if unknown. */
    private static long physicalMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return 0;
    }

    static EngineSpec of(ProcId p) {
        for (EngineSpec s : values()) {
            if (s.proc == p) {
                return s;
            }
        }
        throw new IllegalArgumentException("not an engine: " + p);
    }
}
