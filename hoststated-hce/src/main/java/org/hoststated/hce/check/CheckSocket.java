package org.hoststated.hce.check;

import io.netty.channel.ChannelException;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.posix.Errno;

/**
 * A non-blocking TCP socket for one check, of the address's own family (Netty's default is a
 * dual-stack IPv6 socket, which costs more per check), with {@code SO_LINGER 0} so that
 * back-to-back rounds do not fill the kernel's TIME_WAIT table (HCE-SCALE.md). Used in hce on
 * the event loop.
 */
final class CheckSocket extends Socket {
    /** Linux errno values the checks tell apart. */
    static final int EMFILE = 24;
    static final int ENFILE = 23;
    static final int ENOBUFS = 105;
    static final int EADDRNOTAVAIL = 99;
    static final int ECONNREFUSED = 111;
    static final int ECONNRESET = 104;
    static final int EPIPE = 32;
    static final int ENETUNREACH = 101;
    static final int EHOSTUNREACH = 113;
    static final int EINVAL = 22;
    static final int EACCES = 13;
    static final int EPERM = 1;
    /** The errnos a connect's exception gives only in its text. */
    private static final int[] NAMED_IN_TEXT = {ECONNREFUSED, EINVAL, EACCES, EPERM, ECONNRESET};
    /** Not an errno: ENETUNREACH or EHOSTUNREACH, which Netty's connect does not tell apart. */
    static final int UNREACHABLE = 100_000;

    private CheckSocket(int fd) {
        super(fd);
    }

    /**
     * Opens a socket for {@code address}.
     *
     * @throws IOException with {@link #errno} of the failure (EMFILE and ENFILE mean overload)
     */
    static CheckSocket open(InetAddress address) throws IOException {
        SocketProtocolFamily family = address instanceof Inet6Address ? SocketProtocolFamily.INET6
                : SocketProtocolFamily.INET;
        int fd;
        try {
            fd = newSocketStream0(family);
        } catch (ChannelException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getMessage(), e);
        }
        CheckSocket s = new CheckSocket(fd);
        try {
            s.setSoLinger(0);
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            s.closeQuietly();
            throw e;
        }
        return s;
    }

    /** The (positive) errno of a Netty native exception, or 0 when it carries none. */
    static int errno(IOException e) {
        if (e instanceof Errors.NativeIoException n) {
            return -n.expectedErr();
        }
        // Netty's connect exceptions keep their errno private. ENETUNREACH and EHOSTUNREACH
        // both become a NoRouteToHostException without a text (told apart only when the
        // kernel reports them later, through SO_ERROR); the others carry strerror().
        if (e instanceof NoRouteToHostException) {
            return UNREACHABLE;
        }
        String text = e instanceof ConnectException ? e.getMessage() : null;
        for (int errno : NAMED_IN_TEXT) {
            // Netty wrote strerror(3) of it, as this process's libc says it.
            if (text != null && text.contains(Errno.strerror(errno))) {
                return errno;
            }
        }
        return 0;
    }

    /**
     * What a failed connect tells {@code show hosts}: refused, the two kinds of unreachable and
     * the routes that refuse apart, as they point an operator at the service, the network or
     * the host; anything else is a plain connect failure.
     */
    static HostError connectFailure(int errno) {
        return switch (errno) {
            case ECONNREFUSED -> HostError.TCP_CONNECT_REFUSED;
            case ENETUNREACH -> HostError.TCP_CONNECT_NET_UNREACHABLE;
            case EHOSTUNREACH -> HostError.TCP_CONNECT_HOST_UNREACHABLE;
            case UNREACHABLE -> HostError.TCP_CONNECT_UNREACHABLE;
            // A blackhole route fails the connect at once with EINVAL, a prohibit route with
            // EACCES, a drop by this machine's own firewall with EPERM (probe T saw a plain
            // "tcp connect failed" for the first).
            case EINVAL -> HostError.TCP_CONNECT_BLACKHOLE;
            case EACCES, EPERM -> HostError.TCP_CONNECT_PROHIBITED;
            default -> HostError.TCP_CONNECT_FAIL;
        };
    }

    /** An errno in words for a debug line; {@link #UNREACHABLE} too (it read "Unknown error 100000", probe AK). */
    static String describe(int errno) {
        return errno == UNREACHABLE ? "network or host unreachable" : Errno.strerror(errno);
    }

    /** Whether an errno is the engine running out of resources rather than a host failing. */
    static boolean overload(int errno) {
        return errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == EADDRNOTAVAIL;
    }

    /** {@link #connectResult}: the connect has not completed yet. */
    static final int IN_PROGRESS = -1;

    /**
     * The connect's outcome, asked of the kernel directly (on its event, and before calling a
     * check a timeout, since the loop may not have served the event yet): 0 when connected, the
     * errno when it failed, {@link #IN_PROGRESS} otherwise. SO_ERROR is read, and so cleared,
     * once: reading it a second time to ask "connected?" lost a reset that came between the two
     * reads, and the check, told of no error and no peer, waited for its deadline (a host
     * resetting every connection was "tcp connect timeout" about once in 160 checks).
     */
    int connectResult() {
        int err;
        try {
            err = getSoError();
        } catch (IOException e) {
            err = errno(e);
        }
        if (err != 0) {
            return err;
        }
        // No error (yet): connected once the kernel knows the peer. A reset arriving now leaves
        // its error in SO_ERROR for the next event.
        return remoteAddress() != null ? 0 : IN_PROGRESS;
    }

    void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            // The descriptor is gone either way; nothing to report for a check socket.
        }
    }
}
