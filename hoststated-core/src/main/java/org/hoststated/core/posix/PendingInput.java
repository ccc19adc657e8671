package org.hoststated.core.posix;

/**
 * What a connected stream socket has for its reader right now, seen with
 * {@code recv(MSG_PEEK | MSG_DONTWAIT)}: nothing is consumed and the call never blocks. The
 * relay asks this of an idle backend connection just before it sends a request on it: anything
 * there (bytes, the server's FIN, an error) was sent before the request and answers nothing.
 */
public final class PendingInput {
    /** What the socket holds. */
    public enum State {
        /** Nothing to read: the connection is idle and open. */
        NONE,
        /** Unread bytes wait. */
        BYTES,
        /** The peer sent FIN. */
        EOF,
        /** The socket failed (a reset, mostly) or is not a socket. */
        ERROR
    }

    private PendingInput() {
    }

    /** What socket {@code fd} holds for its reader; never blocks, consumes nothing. */
    public static State of(int fd) {
        if (fd < 0) {
            return State.ERROR;
        }
        byte[] one = new byte[1];
        while (true) {
            long n = Native.LIBC.recv(fd, one, 1, Native.MSG_PEEK | Native.MSG_DONTWAIT);
            if (n > 0) {
                return State.BYTES;
            }
            if (n == 0) {
                return State.EOF;
            }
            int errno = Native.errno();
            if (errno == Native.EAGAIN) {
                return State.NONE;
            }
            if (errno != Native.EINTR) {
                return State.ERROR;
            }
        }
    }
}
