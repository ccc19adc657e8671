package org.hoststated.core.posix;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** {@code struct sockaddr_un} bytes for bind and connect: a file path or an abstract name. */
final class SockaddrUn {
    /** sizeof(sun_path). */
    static final int PATH_MAX = 108;

    private SockaddrUn() {
    }

    /**
     * An abstract name (without its leading NUL): the length passed to bind or connect ends
     * the name, which has no terminating NUL (one would be part of it).
     */
    static byte[] abstractName(String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length > PATH_MAX - 1) {
            throw new IllegalArgumentException("abstract socket name longer than " + (PATH_MAX - 1) + " bytes: " + name);
        }
        return ByteBuffer.allocate(2 + 1 + n.length).order(ByteOrder.nativeOrder())
                .putShort((short) Native.AF_UNIX).put((byte) 0).put(n).array();
    }

    /** A file path, NUL-terminated. */
    static byte[] path(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length > PATH_MAX - 1) {
            throw new IllegalArgumentException("socket path longer than " + (PATH_MAX - 1) + " bytes: " + path);
        }
        return ByteBuffer.allocate(2 + p.length + 1).order(ByteOrder.nativeOrder())
                .putShort((short) Native.AF_UNIX).put(p).put((byte) 0).array();
    }
}
