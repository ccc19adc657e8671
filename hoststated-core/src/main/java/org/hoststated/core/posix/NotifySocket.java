package org.hoststated.core.posix;

import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The service manager's notification socket, as sd_notify(3) writes to it, without
 * libsystemd: one datagram per message ({@code READY=1}, {@code WATCHDOG=1}, ...) to the
 * AF_UNIX path, or abstract name when it starts with {@code @}, named by
 * {@code $NOTIFY_SOCKET}. systemd takes the sender's pid from the datagram's credentials, so
 * only the service's main process may send.
 */
public final class NotifySocket implements Closeable {
    public static final String VARIABLE = "NOTIFY_SOCKET";

    private final int fd;
    private final String name;

    private NotifySocket(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /**
     * Connects to the socket {@code $NOTIFY_SOCKET} names, or returns null when it is unset
     * (not started by a service manager that asked for notifications).
     *
     * @throws IOException when the variable names no socket this process can reach
     */
    public static NotifySocket fromEnvironment(Map<String, String> env) throws IOException {
        String name = env.get(VARIABLE);
        if (name == null || name.isEmpty()) {
            return null;
        }
        byte[] addr;
        if (name.startsWith("@")) {
            addr = SockaddrUn.abstractName(name.substring(1));
        } else if (name.startsWith("/")) {
            addr = SockaddrUn.path(name);
        } else {
            throw new IOException(VARIABLE + " " + name + ": neither a path nor an abstract name");
        }
        int fd = SockaddrUn.connectedDatagram(addr);
        if (fd < 0) {
            throw Errno.exception(VARIABLE + " " + name, -fd);
        }
        return new NotifySocket(fd, name);
    }

    /**
     * Sends one message: newline-separated {@code KEY=value} assignments. Never blocks: a
     * message the manager's full queue cannot take is an error, and the next one may pass.
     */
    public void send(String message) throws IOException {
        byte[] b = message.getBytes(StandardCharsets.UTF_8);
        if (Native.LIBC.send(fd, b, b.length, Native.MSG_NOSIGNAL | Native.MSG_DONTWAIT) < 0) {
            throw Errno.lastException("notify " + name);
        }
    }

    @Override
    public void close() throws IOException {
        Fds.closeFd(fd);
    }
}
