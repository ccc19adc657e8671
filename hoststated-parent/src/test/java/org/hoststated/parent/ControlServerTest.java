package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket can be reached at its path only once it has mode 0660: it is bound in a
 * directory only its owner may enter, then moved (probe F: bound at its path under umask 000,
 * a user who connected before the chmod kept the connection, and stopped the daemon).
 */
class ControlServerTest {
    @TempDir
    Path dir;

    @Test
    void theSocketAppearsAtItsPathWithItsModeAlready() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Path socket = dir.resolve("hoststated.sock");
        ControlServer control = new ControlServer(group.next(), socket, (c, m) -> { });
        try {
            io.netty.channel.ChannelFuture bound = group.next().submit(control::open).get().await();
            assertTrue(bound.isSuccess(), String.valueOf(bound.cause()));
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS), "reachable before its mode is set");
            List<Path> staging = list();
            assertEquals(1, staging.size(), staging.toString());
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(staging.get(0))));

            control.publish();
            PosixFileAttributes a = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            assertTrue(a.isOther(), "a socket");
            assertEquals("rw-rw----", PosixFilePermissions.toString(a.permissions()));
            assertEquals(List.of(socket), list(), "the staging directory is gone");
        } finally {
            group.next().submit(control::close).get();
            group.shutdownGracefully().await();
        }
        assertEquals(List.of(), list());
    }

    private List<Path> list() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
