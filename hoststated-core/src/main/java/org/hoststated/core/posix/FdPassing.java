package org.hoststated.core.posix;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * Sends and receives one file descriptor with a short tag over an AF_UNIX socket (sendmsg and
 * recvmsg with SCM_RIGHTS). Used by the parent to hand listening sockets to the relay engine and
 * raw ICMP sockets to hce, and by those engines to receive them.
 *
 * <p>Blocking calls, for a dedicated thread: the imsg layer decides when a frame carries an fd.
 * On a stream socket the fd arrives with the first byte of its tag, and a receive may return
 * fewer tag bytes than were sent (or bytes of the next message); the tag protocol must cope.
 * Received fds are close-on-exec (MSG_CMSG_CLOEXEC), so a later spawn cannot leak them.
 *
 * <p>The structures are laid out by hand for LP64 Linux (x86_64, aarch64), the targets of this
 * project; the tag is copied into native memory, so any ByteBuffer works (jnr-posix's MsgHdr
 * needed direct buffers, JAVA-NOTES §3).
 */
public final class FdPassing {
    /** Largest tag {@link #send} accepts. */
    public static final int MAX_TAG = 64;

    // struct msghdr, struct iovec and struct cmsghdr on LP64 Linux
    private static final int MSGHDR_SIZE = 56;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int IOVEC_SIZE = 16;
    private static final int CMSG_HDR = 16;          // CMSG_LEN(0)
    private static final int CMSG_SPACE_ONE_FD = 24; // CMSG_SPACE(sizeof(int))

    static {
        if (Native.RUNTIME.addressSize() != 8) {
            throw new ExceptionInInitializerError("FdPassing supports 64-bit Linux only");
        }
    }

    private FdPassing() {
    }

    /**
     * What {@link #receive} got: the tag bytes and the passed fd (-1 if none), or end of file.
     * {@code lost}: the tag came with a descriptor that the kernel could not install in this
     * process (it had no descriptor free, "Too many open files"), so it is gone; {@code fd} is -1.
     */
    public record Received(ByteBuffer tag, int fd, boolean eof, boolean lost) {
        static final Received EOF = new Received(ByteBuffer.allocate(0), -1, true, false);

        public Received(ByteBuffer tag, int fd, boolean eof) {
            this(tag, fd, eof, false);
        }
    }

    /**
     * Sends the remaining bytes of {@code tag} (1 to {@value #MAX_TAG}; a stream socket needs at
     * least one byte to carry a descriptor) and, if {@code fdToSend >= 0}, that fd. The tag's
     * position is not changed. The caller keeps its own copy of the fd and closes it when done.
     */
    public static void send(int socketFd, ByteBuffer tag, int fdToSend) throws IOException {
        byte[] bytes = bytes(tag);
        long sent = sendmsg(socketFd, bytes, fdToSend, 0);
        // The fd went with the first byte; a short write only leaves plain bytes to send.
        while (sent < bytes.length) {
            byte[] rest = Arrays.copyOfRange(bytes, (int) sent, bytes.length);
            long n = Native.LIBC.send(socketFd, rest, rest.length, Native.MSG_NOSIGNAL);
            if (n < 0) {
                if (Native.errno() == Native.EINTR) {
                    continue;
                }
                throw Errno.lastException("send fd " + socketFd);
            }
            sent += n;
        }
    }

    /**
     * Sends what the socket takes now of the remaining bytes of {@code tag} and, if
     * {@code fdToSend >= 0}, that fd with the first of them; never blocks.
     *
     * @return the number of bytes sent: 0 when the socket's buffer is full (nothing sent, the
     *     fd not passed), fewer than the tag's remaining bytes when it took only a part (the fd
     *     passed); the tag's position is not changed
     */
    public static int sendNow(int socketFd, ByteBuffer tag, int fdToSend) throws IOException {
        return (int) sendmsg(socketFd, bytes(tag), fdToSend, Native.MSG_DONTWAIT);
    }

    private static byte[] bytes(ByteBuffer tag) {
        int len = tag.remaining();
        if (len < 1 || len > MAX_TAG) {
            throw new IllegalArgumentException("tag of " + len + " bytes, want 1 to " + MAX_TAG);
        }
        byte[] bytes = new byte[len];
        tag.duplicate().get(bytes);
        return bytes;
    }

    /**
     * One sendmsg of {@code bytes} with {@code fdToSend} (none if negative); EINTR retried. With
     * MSG_DONTWAIT a full buffer is 0 bytes sent.
     */
    private static long sendmsg(int socketFd, byte[] bytes, int fdToSend, int flags) throws IOException {
        int len = bytes.length;
        Pointer mem = Memory.allocateDirect(Native.RUNTIME, MSGHDR_SIZE + IOVEC_SIZE + CMSG_SPACE_ONE_FD + len, true);
        Pointer iov = mem.slice(MSGHDR_SIZE);
        Pointer control = mem.slice(MSGHDR_SIZE + IOVEC_SIZE);
        Pointer data = mem.slice(MSGHDR_SIZE + IOVEC_SIZE + CMSG_SPACE_ONE_FD);
        data.put(0, bytes, 0, len);
        iov.putPointer(0, data);
        iov.putLong(8, len);
        mem.putPointer(MSG_IOV, iov);
        mem.putLong(MSG_IOVLEN, 1);
        if (fdToSend >= 0) {
            control.putLong(0, CMSG_HDR + 4);
            control.putInt(8, Native.SOL_SOCKET);
            control.putInt(12, Native.SCM_RIGHTS);
            control.putInt(CMSG_HDR, fdToSend);
            mem.putPointer(MSG_CONTROL, control);
            mem.putLong(MSG_CONTROLLEN, CMSG_SPACE_ONE_FD);
        }
        long sent;
        while ((sent = Native.LIBC.sendmsg(socketFd, mem, Native.MSG_NOSIGNAL | flags)) < 0) {
            int errno = Native.errno();
            if (errno == Native.EAGAIN && (flags & Native.MSG_DONTWAIT) != 0) {
                return 0;
            }
            if (errno != Native.EINTR) {
                throw Errno.exception("sendmsg fd " + socketFd, errno);
            }
        }
        return sent;
    }

    /**
     * Blocks until data arrives and reads up to {@code maxTag} bytes and at most one fd.
     *
     * @return the bytes and fd, or {@link Received#eof()} when the peer closed; a descriptor
     *     the kernel could not install here (this process at its limit) is {@link Received#lost()}
     * @throws IOException if recvmsg fails, or the peer sent more than one fd at once (the
     *     kernel dropped the rest; the one received is closed)
     */
    public static Received receive(int socketFd, int maxTag) throws IOException {
        if (maxTag < 1) {
            throw new IllegalArgumentException("maxTag " + maxTag);
        }
        Pointer mem = Memory.allocateDirect(Native.RUNTIME, MSGHDR_SIZE + IOVEC_SIZE + CMSG_SPACE_ONE_FD + maxTag, true);
        Pointer iov = mem.slice(MSGHDR_SIZE);
        Pointer control = mem.slice(MSGHDR_SIZE + IOVEC_SIZE);
        Pointer data = mem.slice(MSGHDR_SIZE + IOVEC_SIZE + CMSG_SPACE_ONE_FD);
        iov.putPointer(0, data);
        iov.putLong(8, maxTag);
        mem.putPointer(MSG_IOV, iov);
        mem.putLong(MSG_IOVLEN, 1);
        mem.putPointer(MSG_CONTROL, control);
        mem.putLong(MSG_CONTROLLEN, CMSG_SPACE_ONE_FD);
        long n;
        while ((n = Native.LIBC.recvmsg(socketFd, mem, Native.MSG_CMSG_CLOEXEC)) < 0) {
            if (Native.errno() != Native.EINTR) {
                throw Errno.lastException("recvmsg fd " + socketFd);
            }
        }
        int fd = receivedFd(mem, control);
        boolean lost = false;
        if ((mem.getInt(MSG_FLAGS) & Native.MSG_CTRUNC) != 0) {
            if (fd >= 0) {
                Fds.closeFd(fd);
                throw new IOException("recvmsg fd " + socketFd + ": control data truncated, peer sent more than one fd");
            }
            // Room for one descriptor and none came: the kernel could not install it here
            // (no descriptor free) and dropped it, as scm_detach_fds does.
            lost = true;
        }
        if (n == 0 && fd < 0 && !lost) {
            return Received.EOF;
        }
        byte[] bytes = new byte[(int) n];
        data.get(0, bytes, 0, bytes.length);
        return new Received(ByteBuffer.wrap(bytes), fd, false, lost);
    }

    private static int receivedFd(Pointer msg, Pointer control) {
        long controlLen = msg.getLong(MSG_CONTROLLEN);
        if (controlLen < CMSG_HDR + 4) {
            return -1;
        }
        long cmsgLen = control.getLong(0);
        if (control.getInt(8) != Native.SOL_SOCKET || control.getInt(12) != Native.SCM_RIGHTS || cmsgLen < CMSG_HDR + 4) {
            return -1;
        }
        return control.getInt(CMSG_HDR);
    }
}
