package org.hoststated.hce.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.config.DigestType;
import org.hoststated.hce.TestLoop;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.CheckResult;
import org.hoststated.hce.check.CheckTarget;
import org.hoststated.hce.check.HttpCheck;
import org.hoststated.hce.check.PlainProbe;
import org.hoststated.hce.check.Probe;
import org.hoststated.hce.check.ResponseValidator;
import org.hoststated.hce.check.SendExpectCheck;
import org.hoststated.hce.check.TlsProbe;

/**
 * CPU of hce's event loop per check against a host that trickles its answer one byte per send
 * (bench/hce/trickle.py). Usage: TrickleBench send|code|digest PORT CHECKS, with {@code -Daddr=}
 * the backend's address (127.0.0.1) and {@code -Dtls=true} over TLS ({@link TlsProbe}). One check
 * at a time; the figure is the loop thread's CPU time, so the backend's own CPU is not in it.
 *
 * <p>{@code TrickleBench inline send|code|digest banner|interim|length|chunked|close BYTES} gives
 * the validator alone the same answer one byte per read, without sockets: what judging costs
 * apart from the system calls. Not a test: run by bench/hce/trickle.sh.
 */
public final class TrickleBench {
    public static void main(String[] args) throws Exception {
        if (args[0].equals("inline")) {
            inline(args[1], args[2], Integer.parseInt(args[3]));
            return;
        }
        String kind = args[0];
        int port = Integer.parseInt(args[1]);
        int checks = Integer.parseInt(args[2]);
        int timeoutMs = Integer.getInteger("timeout", 10_000);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (TestLoop loop = new TestLoop()) {
            Probe probe = Boolean.getBoolean("tls") ? new TlsProbe(loop.loop()) : new PlainProbe(loop.loop());
            Check check = check(kind, probe);
            long loopThread = loop.call(() -> Thread.currentThread().getId());
            InetAddress addr = InetAddress.getByName(System.getProperty("addr", "127.0.0.1"));
            for (int i = 1; i <= checks; i++) {
                long cpu0 = threads.getThreadCpuTime(loopThread);
                long t0 = System.nanoTime();
                CompletableFuture<CheckResult> f = new CompletableFuture<>();
                loop.run(() -> check.start(new CheckTarget(1, addr.getHostAddress(), addr, port),
                        System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs), f::complete));
                CheckResult r = f.get(timeoutMs + 5000, TimeUnit.MILLISECONDS);
                double wall = (System.nanoTime() - t0) / 1e6;
                double cpu = (threads.getThreadCpuTime(loopThread) - cpu0) / 1e6;
                System.out.printf("%-6s check=%d %s %s wall=%.0fms loop-cpu=%.1fms%n", kind, i, r.state(),
                        r.error(), wall, cpu);
            }
        }
    }

    private static Check check(String kind, Probe probe) {
        return switch (kind) {
            case "send" -> new SendExpectCheck(probe, null, "*220 ok*");
            case "code" -> HttpCheck.code(probe, "/", null, 200);
            case "digest" -> HttpCheck.digest(probe, "/", null, DigestType.SHA1,
                    "0000000000000000000000000000000000000000");
            default -> throw new IllegalArgumentException(kind);
        };
    }

    /** As bench/hce/trickle.py answers. */
    private static byte[] answer(String backend, int size) {
        String line = "X-Filler: " + "y".repeat(54) + "\r\n";
        String s = switch (backend) {
            case "banner" -> "x".repeat(size);
            case "interim" -> "HTTP/1.1 100 Continue\r\n" + line.repeat(size / line.length());
            case "length" -> "HTTP/1.0 200 OK\r\nContent-Length: " + size + "\r\n\r\n" + "x".repeat(size);
            case "chunked" -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + ("3e8\r\n" + "x".repeat(1000) + "\r\n").repeat(size / 1000) + "0\r\n\r\n";
            case "close" -> "HTTP/1.0 200 OK\r\n\r\n" + "x".repeat(size);
            default -> throw new IllegalArgumentException(backend);
        };
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static void inline(String kind, String backend, int size) {
        byte[] answer = answer(backend, size);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int round = 1; round <= 3; round++) {
            long cpu0 = threads.getCurrentThreadCpuTime();
            String[] verdict = {"none"};
            Probe feeder = new Probe() {
                @Override
                public void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator v,
                        Consumer<CheckResult> done) {
                    ByteBuf got = Unpooled.buffer(256);
                    CheckResult r = null;
                    for (int i = 0; i < answer.length && r == null; i++) {
                        if (got.readableBytes() + 1 > v.maxBytes()) {
                            verdict[0] = "read cap reached";
                            got.release();
                            return;
                        }
                        got.writeByte(answer[i]);
                        r = v.onRead(got);
                    }
                    done.accept(r != null ? r : v.onEof(got));
                    got.release();
                }

                @Override
                public boolean tls() {
                    return false;
                }
            };
            check(kind, feeder).start(new CheckTarget(1, "x", InetAddress.getLoopbackAddress(), 1), 0,
                    r -> verdict[0] = r.state() + " " + r.error());
            System.out.printf("inline %-6s %-8s %d bytes round=%d %s cpu=%.1fms%n", kind, backend, size, round,
                    verdict[0], (threads.getCurrentThreadCpuTime() - cpu0) / 1e6);
        }
    }
}
