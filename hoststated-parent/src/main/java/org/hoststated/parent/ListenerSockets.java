package org.hoststated.parent;

import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import io.netty.util.NetUtil;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.IpProtocol;
import org.hoststated.core.config.ListenerOverlap;
import org.hoststated.core.config.ProtocolConfig;
import org.hoststated.core.config.ProtocolType;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.config.TcpOptions;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketBuffers;
import org.hoststated.core.posix.SystemError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relays' listening sockets, bound by the parent as root and kept here for the life of
 * the configuration that uses them: across relay engine restarts and reloads they stay open,
 * so no client sees a refused connection. The relay engine gets a copy of each by SCM_RIGHTS.
 * A {@code protocol dns} relay gets a UDP socket, the others a TCP one: both can share one
 * address and port. Owned by the parent's event loop.
 */
final class ListenerSockets {
    private static final Logger log = LoggerFactory.getLogger(ListenerSockets.class);

    /** Where a relay listens: its address and port, over UDP ({@code protocol dns}) or TCP. */
    record Listen(InetSocketAddress address, boolean udp) {
        @Override
        public String toString() {
            return (udp ? "udp " : "") + NetUtil.toSocketAddressString(address);
        }
    }

    /**
     * TCP_DEFER_ACCEPT of an HTTP relay's listener, in seconds: a connection is accepted once
     * its first bytes have come, or, from a client that sends nothing, about this long after
     * it connected (when it acknowledges the kernel's first repeated SYN-ACK), as HAProxy's
     * {@code defer-accept} and nginx's {@code deferred} do. The relay's first read of a new
     * client then always finds its request: per {@code Connection: close} request on epoll,
     * no read that finds nothing and no {@code epoll_ctl} for a client that must wait for it
     * (DESIGN.md, the relay's figures).
     */
    static final int DEFER_ACCEPT_SECONDS = 1;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_DEFER_ACCEPT = 9;
    private static final int IPPROTO_IP = 0;
    private static final int IP_FREEBIND = 15;
    private static final int IPPROTO_IPV6 = 41;
    private static final int IPV6_FREEBIND = 78;
    private static final int EADDRNOTAVAIL = 99;

    private final Map<Listen, Socket> open = new HashMap<>();
    /**
     * The sockets of {@link #open} that {@link #pause} stopped listening (TCP), or whose
     * datagrams are dropped when they are next passed (UDP).
     */
    private final Set<Listen> paused = new HashSet<>();
    /** At most this many datagrams are dropped from a paused UDP socket when it is passed. */
    static final int STALE_DATAGRAMS_MAX = 100_000;
    /** The limit of open files when the last {@link #bindAll} began, for its error. */
    private long fileLimit = -1;

    /**
     * Binds every listener of {@code config} that is not open yet. Nothing changes when one
     * fails: new sockets bound so far are closed again.
     *
     * @throws IOException naming the relay and the address that could not be bound
     */
    void bindAll(Config config) throws IOException {
        // Read now: at the limit, /proc/self/limits is one file too many to open.
        fileLimit = Fds.openFileLimit();
        Map<Listen, Socket> added = new HashMap<>();
        try {
            for (RelayConfig r : config.relays()) {
                Listen a = listen(config, r);
                Socket kept = open.get(a);
                if (kept != null) {
                    // A paused one listens again only when it is passed to the engine (fd): a
                    // reload refused after this bind left it taking clients nobody served (probe AQ).
                    if (!a.udp() && !paused.contains(a)) {
                        relisten(kept, a.address(), backlog(config, r));
                    }
                } else if (!added.containsKey(a)) {
                    try {
                        kept = bindBeside(a, backlog(config, r));
                    } catch (IOException e) {
                        // The relay's name leads the operator to the line to change.
                        throw new IOException("relay " + r.name() + ": " + e.getMessage(), e);
                    }
                    added.put(a, kept);
                }
                if (kept != null && a.udp()) {
                    receiveBuffer(kept, a, tcp(config, r).udpReceiveBuffer());
                    sendBuffer(kept, a, tcp(config, r).socketBuffer());
                } else if (kept != null) {
                    deferAccept(kept, a, clientSpeaksFirst(config, r) ? DEFER_ACCEPT_SECONDS : 0);
                }
            }
            checkRoomToPass(config);
        } catch (IOException | RuntimeException e) {
            added.values().forEach(ListenerSockets::closeQuietly);
            throw e;
        }
        open.putAll(added);
    }

    /**
     * Descriptors kept free beside one per relay: the channels of an engine restarted, control
     * clients, syslog, the files a reload reads.
     */
    static final int PASS_RESERVE = 64;

    /**
     * Fails unless this process has a descriptor free for each relay beside the listeners: the
     * relay engine is passed every listener at each start and reload, and one it cannot take at
     * once waits here as a copy. A reload that bound its listeners within the limit then failed
     * to pass hundreds of them ("Too many open files"), said it succeeded, and left those relays
     * accepting connections nobody served (probe U).
     */
    private void checkRoomToPass(Config config) throws IOException {
        long open = Fds.openCount();
        if (fileLimit < 0 || fileLimit == Long.MAX_VALUE || open < 0) {
            return;
        }
        long need = config.relays().size() + PASS_RESERVE;
        if (fileLimit - open < need) {
            throw new IOException(config.relays().size() + " relays need " + need + " descriptors free to pass their"
                    + " listening sockets to the relay engine, and " + Math.max(0, fileLimit - open) + " of this"
                    + " process's " + fileLimit + " are: raise the limit of open files (LimitNOFILE= or ulimit -n)");
        }
    }

    /** Closes the sockets no relay of {@code config} listens on any more. */
    void retainOnly(Config config) {
        Set<Listen> keep = new HashSet<>();
        for (RelayConfig r : config.relays()) {
            keep.add(listen(config, r));
        }
        open.entrySet().removeIf(e -> {
            if (keep.contains(e.getKey())) {
                return false;
            }
            paused.remove(e.getKey());
            log.debug("closing listener {}", e.getKey());
            closeQuietly(e.getValue());
            return true;
        });
    }

    /**
     * The descriptor of the listening socket of relay {@code r} of {@code config}, to pass to
     * the relay engine: listening again if it was paused.
     */
    int fd(Config config, RelayConfig r) {
        Listen l = listen(config, r);
        Socket s = open.get(l);
        if (s == null) {
            throw new IllegalStateException("relay " + r.name() + " has no listening socket");
        }
        if (paused.remove(l)) {
            if (l.udp()) {
                // Queries of clients that have given up by now: sent on, their backends would
                // answer every one of them at once (probe AQ).
                int n = Fds.dropWaitingDatagrams(s.intValue(), STALE_DATAGRAMS_MAX);
                if (n > 0) {
                    log.info("listener {}: dropped {} datagram{} that came while no relay engine served it", l, n,
                            n == 1 ? "" : "s");
                }
            } else {
                relisten(s, l.address(), backlog(config, r));
                deferAccept(s, l, clientSpeaksFirst(config, r) ? DEFER_ACCEPT_SECONDS : 0);
            }
        }
        return s.intValue();
    }

    /**
     * Stops every TCP listener listening while keeping its address and port bound, as
     * HAProxy pauses its listeners: shutdown(2) of a listening socket ends its listening
     * state, so connections are refused and those in its queue reset, and listen(2) later
     * takes the socket up again when it is passed ({@link #fd}). Nobody serves them: the relay
     * engine runs no configuration. A UDP socket cannot refuse: the datagrams that come while
     * it is paused are dropped when it is passed. A paused socket has SO_REUSEADDR off, so that
     * no other socket binds its port.
     *
     * @return how many were paused
     */
    int pause() {
        int n = 0;
        for (Map.Entry<Listen, Socket> e : open.entrySet()) {
            if (paused.contains(e.getKey())) {
                continue;
            }
            if (e.getKey().udp()) {
                paused.add(e.getKey()); // its datagrams wait, and are dropped when it is passed (fd)
                continue;
            }
            try {
                Fds.shutdownReading(e.getValue().intValue());
            } catch (IOException ex) {
                log.warn("listener {}: cannot stop it listening: {}", e.getKey(), SystemError.text(ex));
                continue;
            }
            paused.add(e.getKey());
            n++;
            try {
                // Not listening, a socket with SO_REUSEADDR lets any local user's socket that
                // sets it too bind the port and take its clients once it listens again (probe
                // AQ): without it, every other bind of the port fails.
                e.getValue().setReuseAddress(false);
            } catch (IOException ex) {
                log.warn("listener {}: SO_REUSEADDR off: {}; another socket may bind its port while it is paused",
                        e.getKey(), SystemError.text(ex));
            }
        }
        return n;
    }

    void closeAll() {
        open.values().forEach(ListenerSockets::closeQuietly);
        open.clear();
        paused.clear();
    }

    static InetSocketAddress address(RelayConfig r) {
        InetAddress a = r.listen().address();
        return new InetSocketAddress(a, r.listen().port());
    }

    static Listen listen(Config config, RelayConfig r) {
        return new Listen(address(r), config.transport(r) == IpProtocol.UDP);
    }

    /** The {@code tcp} options of relay {@code r}'s protocol, or the defaults when it has none. */
    private static TcpOptions tcp(Config config, RelayConfig r) {
        TcpOptions t = config.protocol(r.protocol()).map(ProtocolConfig::tcp).orElse(null);
        return t != null ? t : TcpOptions.defaults();
    }

    /**
     * Gives a UDP listener its receive buffer beyond {@code net.core.rmem_max}, which the
     * parent may as root: the queries of all clients wait there while the relay is busy.
     * Without the capability the system's limit holds, with a warning.
     */
    private static void receiveBuffer(Socket s, Listen l, int bytes) {
        try {
            SocketBuffers.forceReceiveBuffer(s.intValue(), bytes);
        } catch (IOException e) {
            log.warn("listener {}: receive buffer of {} bytes: {}; net.core.rmem_max applies", l, bytes, e.getMessage());
            try {
                s.setReceiveBufferSize(bytes);
            } catch (IOException again) {
                log.warn("listener {}: receive buffer: {}", l, again.getMessage());
            }
        }
    }

    /**
     * Gives a UDP listener its send buffer: the configured one, else the system's default. The
     * socket outlives reloads, and a {@code socket buffer} a reload removed stayed on it until
     * a restart, its answers still dropped (review CK). A TCP listener's accepted sockets get
     * theirs from the relay engine, each.
     */
    private static void sendBuffer(Socket s, Listen l, int bytes) {
        try {
            s.setSendBufferSize(bytes > 0 ? bytes : SocketBufferLimit.defaultSendBufferOption());
        } catch (IOException e) {
            log.warn("listener {}: send buffer: {}", l, e.getMessage());
        }
    }

    /**
     * Whether relay {@code r}'s clients speak first: those of an HTTP relay do (its request,
     * or a TLS listener's ClientHello). A TCP relay's server may speak first (SMTP, SSH), so
     * its listener accepts at once.
     */
    static boolean clientSpeaksFirst(Config config, RelayConfig r) {
        return config.protocol(r.protocol()).map(p -> p.type() == ProtocolType.HTTP).orElse(false);
    }

    /**
     * Sets TCP_DEFER_ACCEPT on a TCP listener, on every bind and reload: a socket kept across
     * a reload that turned its relay from HTTP to TCP must accept at once again.
     */
    private static void deferAccept(Socket s, Listen l, int seconds) {
        try {
            s.setIntOpt(IPPROTO_TCP, TCP_DEFER_ACCEPT, seconds);
        } catch (IOException e) {
            log.warn("listener {}: TCP_DEFER_ACCEPT {}: {}", l, seconds, e.getMessage());
        }
    }

    private static int backlog(Config config, RelayConfig r) {
        return tcp(config, r).backlog();
    }

    /**
     * A socket that stays across a reload keeps its queue of pending connections; listen(2)
     * again only applies a changed {@code tcp backlog}.
     */
    private static void relisten(Socket s, InetSocketAddress a, int backlog) {
        try {
            s.listen(backlog);
        } catch (IOException e) {
            log.warn("listener {}: listen with backlog {}: {}", NetUtil.toSocketAddressString(a), backlog, e.getMessage());
        }
    }

    /**
     * Binds {@code l}; when a listener of the running configuration holds its port over a
     * wildcard address ({@link ListenerOverlap}), the error says so: the relay engine still
     * serves that socket, so a reload cannot move a relay between the two, a restart can.
     */
    private Socket bindBeside(Listen l, int backlog) throws IOException {
        try {
            return bind(l, backlog);
        } catch (IOException e) {
            for (Listen o : open.keySet()) {
                InetSocketAddress a = o.address();
                // UDP sockets too: they are bound without SO_REUSEADDR, so they clash alike (review CK).
                if (o.udp() == l.udp() && a.getPort() == l.address().getPort()
                        && ListenerOverlap.clash(a.getAddress(), l.address().getAddress())) {
                    throw new IOException(e.getMessage() + " (the running configuration listens on "
                            + NetUtil.toAddressString(a.getAddress()) + " port " + a.getPort()
                            + ", which overlaps it: restart the daemon to move a relay between them)", e);
                }
            }
            throw e;
        }
    }

    private Socket bind(Listen l, int backlog) throws IOException {
        // The address's own family: "::" is dual-stack, "0.0.0.0" IPv4 only.
        InetSocketAddress a = l.address();
        boolean ipv6 = a.getAddress() instanceof Inet6Address;
        Socket s;
        try {
            s = l.udp() ? FamilySockets.dgram(ipv6) : FamilySockets.stream(ipv6);
        } catch (io.netty.channel.ChannelException e) {
            // Netty's unchecked form of socket(2)'s failure, at a process's limit of open
            // files: it escaped the reload, which left the sockets it had bound open (accepting
            // connections nobody served, the limit used up) and never answered (probe T).
            Throwable why = e.getCause() != null ? e.getCause() : e;
            String limit = why.getMessage() != null && why.getMessage().contains("Too many open files")
                    ? " (this process may have " + fileLimit + " open; each relay needs one here and one in"
                    + " the relay engine: raise the limit of open files, LimitNOFILE= or ulimit -n)" : "";
            throw new IOException("cannot listen on " + NetUtil.toAddressString(a.getAddress()) + " port " + a.getPort()
                    + (l.udp() ? " (udp)" : "") + ": " + SystemError.text(why) + limit, e);
        }
        try {
            if (!l.udp()) {
                // For a TCP listener: bind beside the TIME_WAIT connections of its last run. Not
                // for UDP, where it lets any local user bind the same address and port too (both
                // sockets setting it) and take the relay's queries (probe AN).
                s.setReuseAddress(true);
            }
            try {
                s.bind(a);
            } catch (Errors.NativeIoException e) {
                if (e.expectedErr() != -EADDRNOTAVAIL) {
                    throw e;
                }
                // An address on no interface (yet): a VRRP address on a keepalived backup node,
                // which comes at a failover. Bound all the same, as with ip_nonlocal_bind, so
                // that the relay serves once it comes; said, since a mistyped one never does.
                freeBind(s, ipv6);
                s.bind(a);
                log.warn("listening on {} although {} is on no interface of this machine: connections come once it"
                        + " is added (IP_FREEBIND), as a VRRP address comes at a failover", l,
                        NetUtil.toAddressString(a.getAddress()));
            }
            if (l.udp()) {
                log.debug("listening on {}", l); // a UDP socket has no queue of connections
            } else {
                armForExit(s, l);
                s.listen(backlog);
                log.debug("listening on {} (backlog {})", l, backlog);
            }
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            throw new IOException("cannot listen on " + NetUtil.toAddressString(a.getAddress()) + " port " + a.getPort()
                    + (l.udp() ? " (udp)" : "") + ": " + SystemError.text(e), e);
        }
    }

    /**
     * Sets {@code SO_LINGER} 0 on a TCP listener before it listens, which every connection it
     * accepts inherits when the kernel makes it: a relay engine that dies resets its sessions
     * instead of closing them with FINs (the relay's {@code ExitReset}, which clears it at each
     * orderly close). Here, not only in the engine, for the connections queued before an engine
     * adopts the socket.
     */
    private static void armForExit(Socket s, Listen l) {
        try {
            s.setSoLinger(0);
        } catch (IOException e) {
            log.warn("listener {}: SO_LINGER 0: {}; its sessions get a FIN if the relay engine dies", l, e.getMessage());
        }
    }

    /** Lets {@code s} bind an address that is not local: IP_FREEBIND, and IPV6_FREEBIND on an IPv6 socket. */
    private static void freeBind(Socket s, boolean ipv6) throws IOException {
        s.setIntOpt(IPPROTO_IP, IP_FREEBIND, 1);
        if (ipv6) {
            s.setIntOpt(IPPROTO_IPV6, IPV6_FREEBIND, 1);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            log.debug("close listener: {}", e.getMessage());
        }
    }
}
