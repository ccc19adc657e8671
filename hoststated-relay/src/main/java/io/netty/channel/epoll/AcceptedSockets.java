package io.netty.channel.epoll;

import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LinuxSocket} of an accepted connection without the {@code getsockname} of
 * {@link Socket}'s constructor, which asks the kernel whether the socket is IPv6 (one system
 * call per connection, about 1.2 µs on this VM, and no constructor skips it): an accepted
 * socket has its listener's family, so the answer is the listener's. The socket is allocated
 * without a constructor and its two fields (the descriptor, whether IPv6) are set as the
 * constructor would, through {@code sun.misc.Unsafe}, found reflectively (no compile-time tie
 * to it). Where that cannot be done (no {@code Unsafe}, Netty's fields renamed), every socket
 * is made by the constructor, as before; {@code AdoptedEpollServerSocketChannelTest} fails when
 * the fields change. The io_uring listener makes its accepted sockets the same way
 * ({@link #allocate}: its {@code LinuxSocket} is another class with the same two fields).
 */
public final class AcceptedSockets {
    private static final Logger log = LoggerFactory.getLogger(AcceptedSockets.class);

    /** (Class) Object: Unsafe.allocateInstance bound to the Unsafe; null when unusable. */
    private static final MethodHandle ALLOCATE;
    /** (Object, long, int) void. */
    private static final MethodHandle PUT_INT;
    /** (Object, long, boolean) void. */
    private static final MethodHandle PUT_BOOLEAN;
    /** (Object, long) boolean. */
    private static final MethodHandle GET_BOOLEAN;
    private static final long FD;
    private static final long IPV6;

    static {
        MethodHandle allocate = null;
        MethodHandle putInt = null;
        MethodHandle putBoolean = null;
        MethodHandle getBoolean = null;
        long fd = -1;
        long ipv6 = -1;
        try {
            Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
            Field the = unsafeClass.getDeclaredField("theUnsafe");
            the.setAccessible(true);
            Object unsafe = the.get(null);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            MethodHandle offset = lookup.findVirtual(unsafeClass, "objectFieldOffset",
                    MethodType.methodType(long.class, Field.class)).bindTo(unsafe);
            fd = (long) offset.invoke(FileDescriptor.class.getDeclaredField("fd"));
            ipv6 = (long) offset.invoke(Socket.class.getDeclaredField("ipv6"));
            allocate = lookup.findVirtual(unsafeClass, "allocateInstance",
                    MethodType.methodType(Object.class, Class.class)).bindTo(unsafe);
            putInt = lookup.findVirtual(unsafeClass, "putInt",
                    MethodType.methodType(void.class, Object.class, long.class, int.class)).bindTo(unsafe);
            putBoolean = lookup.findVirtual(unsafeClass, "putBoolean",
                    MethodType.methodType(void.class, Object.class, long.class, boolean.class)).bindTo(unsafe);
            getBoolean = lookup.findVirtual(unsafeClass, "getBoolean",
                    MethodType.methodType(boolean.class, Object.class, long.class)).bindTo(unsafe);
        } catch (Throwable t) {
            log.debug("relay: accepted sockets made by Netty's constructor ({})", t.toString());
            allocate = null;
        }
        ALLOCATE = allocate;
        PUT_INT = putInt;
        PUT_BOOLEAN = putBoolean;
        GET_BOOLEAN = getBoolean;
        FD = fd;
        IPV6 = ipv6;
    }

    private AcceptedSockets() {
    }

    /** Whether sockets are made without asking the kernel; false: by the constructor. */
    public static boolean unasked() {
        return ALLOCATE != null;
    }

    /** Whether {@code socket} is an IPv6 socket, as its constructor found (no system call). */
    static boolean ipv6(Socket socket) {
        if (ALLOCATE == null) {
            return false;
        }
        try {
            return (boolean) GET_BOOLEAN.invokeExact((Object) socket, IPV6);
        } catch (Throwable t) {
            throw new IllegalStateException("reading a socket's family", t);
        }
    }

    /**
     * The socket of {@code fd}, accepted by a listener whose family {@code ipv6} tells: what
     * {@code new LinuxSocket(fd)} gives, without its system call.
     */
    static LinuxSocket of(int fd, boolean ipv6) {
        LinuxSocket s = allocate(LinuxSocket.class, fd, ipv6);
        return s != null ? s : new LinuxSocket(fd);
    }

    /**
     * A socket of class {@code type} (a subclass of {@link Socket} that adds no state) for
     * {@code fd} of the family {@code ipv6} tells, made without its constructor and so without
     * a system call; null where that cannot be done (then the caller uses the constructor).
     */
    public static <T extends Socket> T allocate(Class<T> type, int fd, boolean ipv6) {
        if (ALLOCATE == null) {
            return null;
        }
        try {
            T s = type.cast((Object) ALLOCATE.invokeExact(type));
            PUT_INT.invokeExact((Object) s, FD, fd);
            PUT_BOOLEAN.invokeExact((Object) s, IPV6, ipv6);
            return s;
        } catch (Throwable t) {
            throw new IllegalStateException("making the socket of an accepted connection", t);
        }
    }
}
