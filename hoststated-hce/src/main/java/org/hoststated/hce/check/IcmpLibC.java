package org.hoststated.hce.check;

import jnr.ffi.LibraryLoader;
import jnr.ffi.byref.IntByReference;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/** The few libc calls raw ICMP sockets need, which neither Netty nor jnr-posix offers. */
public interface IcmpLibC {
    int AF_INET = 2;
    int AF_INET6 = 10;
    int SOCK_RAW = 3;
    int IPPROTO_ICMP = 1;
    int IPPROTO_ICMPV6 = 58;
    int SOL_SOCKET = 1;
    int SO_RCVBUF = 8;
    int SO_RCVTIMEO = 20;
    int SOL_RAW = 255;
    int ICMP_FILTER = 1;
    int MSG_DONTWAIT = 0x40;

    IcmpLibC INSTANCE = LibraryLoader.create(IcmpLibC.class).load("c");

    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int name, byte[] value, int len);

    @ssize_t
    long sendto(int fd, byte[] buf, @size_t long len, int flags, byte[] addr, int addrLen);

    @ssize_t
    long recvfrom(int fd, byte[] buf, @size_t long len, int flags, byte[] addr, IntByReference addrLen);

    int close(int fd);
}
