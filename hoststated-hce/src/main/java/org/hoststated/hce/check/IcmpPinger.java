package org.hoststated.hce.check;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import jnr.ffi.byref.IntByReference;
import org.hoststated.core.msg.HostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends ICMP echo requests on the raw sockets and matches the replies (relayd's check_icmp.c).
 * Sends run in hce on the event loop, which owns the table of echoes waiting for a reply; one
 * reader thread per socket blocks in {@code recvfrom} and posts each reply to the loop. A reply
 * counts only with our echo id, a waiting sequence number, the host's own address as sender
 * and, over IPv4, a right checksum (probe M of session 58: a damaged reply counted).
 */
public final class IcmpPinger implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IcmpPinger.class);
    private static final int ECHO_REQUEST = 8;
    private static final int ECHO_REPLY = 0;
    private static final int ECHO6_REQUEST = 128;
    private static final int ECHO6_REPLY = 129;
    private static final int EAGAIN = 11;

    private final EventLoop loop;
    private final IcmpSockets sockets;
    private final int id = (int) (ProcessHandle.current().pid() & 0xffff);
    private final Map<Integer, Waiting> waiting = new HashMap<>();
    private volatile boolean closed;
    private int nextSeq;

    private record Waiting(InetAddress host, Consumer<CheckResult> done, ScheduledFuture<?> timer) {
    }

    public IcmpPinger(EventLoop loop, IcmpSockets sockets) {
        this.loop = loop;
        this.sockets = sockets;
        if (sockets.v4() >= 0) {
            reader(sockets.v4(), false).start();
        }
        if (sockets.v6() >= 0) {
            reader(sockets.v6(), true).start();
        }
    }

    /** Sends one echo to {@code host}; {@code done} gets up on the reply, down at the deadline. */
    void ping(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        boolean v6 = target.address() instanceof Inet6Address;
        int fd = v6 ? sockets.v6() : sockets.v4();
        if (fd < 0) {
            done.accept(CheckResult.down(HostError.TCP_SOCKET_ERROR));
            return;
        }
        int seq = freeSeq();
        byte[] packet = echo(v6, seq, target.hostId());
        byte[] addr = sockaddr(target.address());
        long n = IcmpLibC.INSTANCE.sendto(fd, packet, packet.length, IcmpLibC.MSG_DONTWAIT, addr, addr.length);
        if (n != packet.length) {
            int errno = jnr.ffi.Runtime.getRuntime(IcmpLibC.INSTANCE).getLastError();
            // A full socket buffer is the engine's condition, not the host's: no verdict.
            if (errno == EAGAIN || errno == CheckSocket.ENOBUFS) {
                done.accept(CheckResult.OVERLOAD);
                return;
            }
            log.debug("host {} ({}): icmp send: {}", target.name(), target.address().getHostAddress(),
                    org.hoststated.core.posix.Errno.strerror(errno));
            done.accept(CheckResult.down(writeFailure(errno)));
            return;
        }
        ScheduledFuture<?> timer = loop.schedule(() -> deadline(seq, fd, v6), deadlineNanos - System.nanoTime(),
                TimeUnit.NANOSECONDS);
        waiting.put(seq, new Waiting(target.address(), done, timer));
    }

    /**
     * What a failed echo send tells {@code show hosts}: the route's refusal by kind, as for a
     * tcp connect ({@link CheckSocket#connectFailure}); probe W saw a bare "icmp write failed"
     * behind blackhole, prohibit and unreachable routes alike.
     */
    static HostError writeFailure(int errno) {
        return switch (errno) {
            case CheckSocket.ENETUNREACH -> HostError.ICMP_WRITE_NET_UNREACHABLE;
            case CheckSocket.EHOSTUNREACH -> HostError.ICMP_WRITE_HOST_UNREACHABLE;
            case CheckSocket.EINVAL -> HostError.ICMP_WRITE_BLACKHOLE;
            case CheckSocket.EACCES, CheckSocket.EPERM -> HostError.ICMP_WRITE_PROHIBITED;
            default -> HostError.ICMP_WRITE_FAIL;
        };
    }

    private int freeSeq() {
        for (int i = 0; i < 0x10000; i++) {
            int s = nextSeq;
            nextSeq = (nextSeq + 1) & 0xffff;
            if (!waiting.containsKey(s)) {
                return s;
            }
        }
        throw new IllegalStateException("65536 echoes waiting");
    }

    /**
     * The deadline of one echo: replies the reader thread has not got to yet (a busy machine)
     * are read here first, so a reply that arrived in time is never a timeout.
     */
    private void deadline(int seq, int fd, boolean v6) {
        if (!waiting.containsKey(seq)) {
            return;
        }
        byte[] buf = new byte[1500];
        byte[] from = new byte[28];
        Reply r;
        while ((r = receive(fd, v6, buf, from, IcmpLibC.MSG_DONTWAIT)) != NO_REPLY) {
            if (r != null) {
                replied(r.seq, r.sender);
            }
        }
        Waiting w = waiting.remove(seq);
        if (w != null) {
            w.done.accept(CheckResult.down(HostError.ICMP_READ_TIMEOUT));
        }
    }

    private void replied(int seq, InetAddress from) {
        Waiting w = waiting.get(seq);
        if (w == null || !w.host.equals(from)) {
            return; // late, or a reply from someone else than the host asked
        }
        waiting.remove(seq);
        w.timer.cancel(false);
        w.done.accept(CheckResult.up(HostError.ICMP_OK));
    }

    private byte[] echo(boolean v6, int seq, int hostId) {
        byte[] p = new byte[16];
        p[0] = (byte) (v6 ? ECHO6_REQUEST : ECHO_REQUEST);
        putShort(p, 4, id);
        putShort(p, 6, seq);
        p[8] = (byte) (hostId >>> 24);
        p[9] = (byte) (hostId >>> 16);
        p[10] = (byte) (hostId >>> 8);
        p[11] = (byte) hostId;
        if (!v6) {
            putShort(p, 2, checksum(p)); // the kernel computes ICMPv6 checksums itself
        }
        return p;
    }

    private static byte[] sockaddr(InetAddress a) {
        byte[] raw = a.getAddress();
        if (a instanceof Inet6Address v6) {
            byte[] sa = new byte[28];
            sa[0] = (byte) IcmpLibC.AF_INET6; // sa_family in host order (little-endian on x86_64)
            System.arraycopy(raw, 0, sa, 8, 16);
            int scope = v6.getScopeId();
            sa[24] = (byte) scope;
            sa[25] = (byte) (scope >>> 8);
            sa[26] = (byte) (scope >>> 16);
            sa[27] = (byte) (scope >>> 24);
            return sa;
        }
        byte[] sa = new byte[16];
        sa[0] = (byte) IcmpLibC.AF_INET;
        System.arraycopy(raw, 0, sa, 4, 4);
        return sa;
    }

    static int checksum(byte[] p) {
        return checksum(p, 0, p.length);
    }

    /** The Internet checksum of {@code p[from, to)}: 0 over a message that carries a right one. */
    static int checksum(byte[] p, int from, int to) {
        long sum = 0;
        for (int i = from; i + 1 < to; i += 2) {
            sum += ((p[i] & 0xff) << 8) | (p[i + 1] & 0xff);
        }
        if (((to - from) & 1) != 0) {
            sum += (p[to - 1] & 0xff) << 8;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        return (int) (~sum & 0xffff);
    }

    private static void putShort(byte[] p, int at, int v) {
        p[at] = (byte) (v >>> 8);
        p[at + 1] = (byte) v;
    }

    private static int getShort(byte[] p, int at) {
        return ((p[at] & 0xff) << 8) | (p[at + 1] & 0xff);
    }

    private Thread reader(int fd, boolean v6) {
        Thread t = new Thread(() -> read(fd, v6), v6 ? "hce-icmp6" : "hce-icmp");
        t.setDaemon(true);
        return t;
    }

    /** Reader thread: a receive timeout makes recvfrom return now and then to see {@link #close}. */
    private void read(int fd, boolean v6) {
        byte[] buf = new byte[1500];
        byte[] from = new byte[28];
        while (!closed) {
            Reply r = receive(fd, v6, buf, from, 0);
            if (r != null && r != NO_REPLY) {
                loop.execute(() -> replied(r.seq, r.sender));
            }
        }
        log.debug("icmp reader stopped");
    }

    private record Reply(int seq, InetAddress sender) {
    }

    /** Nothing was received (timeout, or nothing waiting with MSG_DONTWAIT). */
    private static final Reply NO_REPLY = new Reply(-1, null);

    /**
     * Receives one datagram: {@link #NO_REPLY} when none came, null when it is not an echo reply
     * of ours, else its sequence number and sender. Called by the reader threads and the loop.
     */
    private Reply receive(int fd, boolean v6, byte[] buf, byte[] from, int flags) {
        IntByReference fromLen = new IntByReference(from.length);
        long n = IcmpLibC.INSTANCE.recvfrom(fd, buf, buf.length, flags, from, fromLen);
        if (n <= 0) {
            return NO_REPLY;
        }
        int at = v6 ? 0 : (buf[0] & 0x0f) * 4;
        if (n < at + 8 || (buf[at] & 0xff) != (v6 ? ECHO6_REPLY : ECHO_REPLY) || getShort(buf, at + 4) != id) {
            return null;
        }
        if (!v6 && checksum(buf, at, (int) n) != 0) {
            // Damaged on the way (or forged): no echo reply. The kernel checks ICMPv6's itself.
            return null;
        }
        try {
            InetAddress sender = InetAddress.getByAddress(v6 ? Arrays.copyOfRange(from, 8, 24)
                    : Arrays.copyOfRange(from, 4, 8));
            return new Reply(getShort(buf, at + 6), sender);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Stops the reader threads (within the receive timeout). The sockets stay open. */
    @Override
    public void close() {
        closed = true;
    }
}
