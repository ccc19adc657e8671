package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket is bound with no more than mode 0660, whatever the umask (probe F: bound
 * with the mode {@code umask 000} gave and chmodded after, a user who connected in between
 * kept the connection, and stopped the daemon).
 */
class ControlServerTest {
    /** The C library's umask, which the JDK does not offer. */
    public interface C {
        int umask(int mask);
    }

    @TempDir
    Path dir;

    @Test
    void theSocketIsBoundWithItsModeUnderAnOpenUmask() throws Exception {
        C libc = jnr.ffi.LibraryLoader.create(C.class).load("c");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Path socket = dir.resolve("hoststated.sock");
        ControlServer control = new ControlServer(group.next(), socket, (c, m) -> { });
        int umask = libc.umask(0);
        try {
            io.netty.channel.ChannelFuture bound = group.next().submit(control::open).get().await();
            assertTrue(bound.isSuccess(), String.valueOf(bound.cause()));
            assertEquals("rw-rw----", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)), "as bound, before restrict");
        } finally {
            libc.umask(umask);
        }
        try {
            control.restrict();
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        } finally {
            group.next().submit(control::close).get();
            group.shutdownGracefully().await();
        }
    }

    /**
     * A link renamed over the bound socket by a user who may write its directory: root set the
     * mode of the link's target (probe G of session 56). Now refused, and the target untouched.
     */
    @Test
    void aLinkRenamedOverTheSocketIsRefusedNotFollowed() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        Path socket = dir.resolve("hoststated.sock");
        Path victim = Files.writeString(dir.resolve("victim"), "x");
        Files.setPosixFilePermissions(victim, PosixFilePermissions.fromString("rw-r--r--"));
        ControlServer control = new ControlServer(group.next(), socket, (c, m) -> { });
        try {
            assertTrue(group.next().submit(control::open).get().await().isSuccess());
            Path link = Files.createSymbolicLink(dir.resolve("link"), victim);
            Files.move(link, socket, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.io.IOException e = org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class,
                    control::restrict);
            assertTrue(e.getMessage().contains("was replaced by something else after it was bound (a link)"),
                    e.getMessage());
            assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(victim)));
        } finally {
            group.next().submit(control::close).get();
            group.shutdownGracefully().await();
        }
    }
}
