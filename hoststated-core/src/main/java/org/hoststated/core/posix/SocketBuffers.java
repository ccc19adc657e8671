package org.hoststated.core.posix;

import java.io.IOException;

/**
 * Socket buffer sizes beyond the system's limit, for the parent while it is root. A plain
 * {@code SO_RCVBUF} is capped at {@code net.core.rmem_max} (208 KiB on a stock Linux), too
 * little for a UDP listener that many clients send to at once: a burst overflows it and the
 * kernel drops the datagrams before the relay reads them.
 */
public final class SocketBuffers {
    private SocketBuffers() {
    }

    /**
     * Sets {@code fd}'s receive buffer to {@code bytes} whatever {@code net.core.rmem_max} says
     * ({@code SO_RCVBUFFORCE}; needs {@code CAP_NET_ADMIN}).
     *
     * @throws IOException with the reason, such as a missing capability
     */
    public static void forceReceiveBuffer(int fd, int bytes) throws IOException {
        if (Native.LIBC.setsockopt(fd, Native.SOL_SOCKET, Native.SO_RCVBUFFORCE, new int[] {bytes}, 4) < 0) {
            throw Errno.lastException("SO_RCVBUFFORCE " + bytes);
        }
    }
}
