package org.hoststated.hce.bench;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.hce.CheckScheduler;
import org.hoststated.hce.Checks;
import org.hoststated.hce.OkServer;
import org.hoststated.hce.TestConfigs;
import org.hoststated.hce.check.IcmpPinger;
import org.hoststated.hce.check.IcmpSockets;

/**
 * Round wall time and process CPU seconds per round (BENCH.md "Health checks"): N hosts
 * 127.0.x.y answered by one listener on 0.0.0.0. Usage: HceBench tcp|http|icmp hosts rounds.
 * Not a test: run by bench/hce/run.sh.
 */
public final class HceBench {
    public static void main(String[] args) throws Exception {
        String type = args[0];
        int hosts = Integer.parseInt(args[1]);
        int rounds = Integer.parseInt(args[2]);
        // With a port, an outside server (nginx) answers and the CPU figure is the checker's alone.
        OkServer own = args.length > 3 ? null : new OkServer(type.equals("http"));
        int port = own == null ? Integer.parseInt(args[3]) : own.port();
        int timeoutMs = Integer.getInteger("timeout", 1000);
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoop loop = group.next();
        IcmpSockets icmp = type.equals("icmp") ? IcmpSockets.open() : null;
        IcmpPinger pinger = icmp == null ? null : new IcmpPinger(loop, icmp);
        CheckConfig check = switch (type) {
            case "tcp" -> CheckConfig.tcp();
            case "http" -> CheckConfig.httpCode(false, "/", null, 200);
            case "icmp" -> CheckConfig.icmp();
            default -> throw new IllegalArgumentException(type);
        };
        Config c = new TestConfigs(3600, timeoutMs).table("bench", port, check,
                TestConfigs.loopbacks(hosts), 0).build();
        Map<Integer, HostStatus> last = new ConcurrentHashMap<>();
        CheckScheduler s = loop.submit(() -> new CheckScheduler(loop, c, 1, st -> last.put(st.hostId(), st), () -> { },
                new Checks(loop, null, pinger), CheckScheduler.Options.defaults(LogMode.NONE))).get();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long answered = 0;
        for (int r = 1; r <= rounds; r++) {
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            loop.submit(r == 1 ? s::start : s::pollNow).get();
            while (loop.submit(s::pending).get() > 0) {
                Thread.sleep(1);
            }
            double wall = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            long down = last.values().stream().filter(x -> x.state() != HostState.UP).count();
            System.out.printf("%-4s hosts=%5d round=%d wall=%.3fs cpu=%.3fs%s down=%d rss=%dMB%n", type, hosts, r, wall,
                    cpu, own == null ? "" : " (incl. in-process server)", down, rssMb());
            answered += hosts - down;
            if (own != null && type.equals("tcp")) {
                // A round ends before the server has accepted its connections; let it catch up,
                // as rounds seconds apart would, or its full accept queue drops the next SYNs.
                own.awaitAccepted(answered, java.time.Duration.ofSeconds(30));
            }
        }
        if (pinger != null) {
            pinger.close();
        }
        group.shutdownGracefully().sync();
        if (own != null) {
            own.close();
        }
    }

    /** This JVM's resident set, from /proc/self/status; 0 where there is none. */
    private static long rssMb() throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        return 0;
    }
}
