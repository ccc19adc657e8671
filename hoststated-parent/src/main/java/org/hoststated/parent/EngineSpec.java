package org.hoststated.parent;

import java.util.List;
import org.hoststated.core.msg.ProcId;

/**
 * How each child engine is started: its main class, its {@code ps} title and its JVM flags.
 * The flags keep start-up and memory low (JAVA-NOTES: C1 only and the serial collector for
 * pfe and hce); the relay keeps C2, since it carries the traffic, and runs without Netty's
 * buffer leak sampling.
 */
enum EngineSpec {
    PFE(ProcId.PFE, "org.hoststated.pfe.PfeMain", "hoststated: pf engine",
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-Xss512k", "-XX:CICompilerCount=1")),
    HCE(ProcId.HCE, "org.hoststated.hce.HceMain", "hoststated: health check engine",
            List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms16m", "-Xmx128m", "-Xss512k", "-XX:CICompilerCount=1")),
    RELAY(ProcId.RELAY, "org.hoststated.relay.RelayMain", "hoststated: relay engine",
            List.of("-XX:+UseSerialGC", "-Xms16m", "-Xmx96m", "-Xss512k",
                    // Netty's default leak sampling records a stack trace every 128th buffer:
                    // 1.4 % of a TCP relay's CPU (bench/relay profile); tests run it paranoid.
                    "-Dio.netty.leakDetection.level=disabled",
                    // One receive per read into the buffer ring (ReceiveRing): a multishot
                    // receive or a bundle would take more than one read past back-pressure.
                    "-Dio.netty.iouring.recvMultiShotEnabled=false",
                    "-Dio.netty.iouring.recvsendBundleEnabled=false",
                    // A TLS 1.2 client's renegotiation costs a private-key operation each: a
                    // cheap way to load the relay, refused as later relayd does by default.
                    "-Djdk.tls.rejectClientInitiatedRenegotiation=true"));

    /** Flags every child gets: no hsperfdata files (they outlive a privilege drop), quiet native access. */
    static final List<String> COMMON = List.of("-XX:-UsePerfData", "-XX:+UseCompressedOops",
            "-Xshare:auto", "-Djava.net.preferIPv4Stack=false", "-Dio.netty.tryReflectionSetAccessible=false");

    final ProcId proc;
    final String mainClass;
    final String title;
    final List<String> jvmFlags;

    EngineSpec(ProcId proc, String mainClass, String title, List<String> jvmFlags) {
        this.proc = proc;
        this.mainClass = mainClass;
        this.title = title;
        this.jvmFlags = jvmFlags;
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
