package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A second daemon started with the socket path of a running one must not take that socket
 * over (the running daemon would lose its control channel for good); a stale socket is
 * removed; a path that is not a socket is left alone.
 */
class ControlSocketPathTest {
    @TempDir
    Path dir;

    @Test
    void aSocketARunningDaemonServesIsRefusedAndKept() throws Exception {
        Path sock = dir.resolve("hs.sock");
        try (ServerSocketChannel running = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            running.bind(UnixDomainSocketAddress.of(sock));
            IOException e = assertThrows(IOException.class, () -> ControlSocketPath.clear(sock));
            assertTrue(e.getMessage().contains("in use"), e.getMessage());
            assertTrue(Files.exists(sock));
        }
    }

    @Test
    void aStaleSocketIsRemoved() throws Exception {
        Path sock = dir.resolve("hs.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            dead.bind(UnixDomainSocketAddress.of(sock));
        }
        assertTrue(Files.exists(sock), "closing a channel leaves its file, as a killed daemon does");
        ControlSocketPath.clear(sock);
        assertFalse(Files.exists(sock));
    }

    @Test
    void aFileThatIsNotASocketIsRefusedAndKept() throws Exception {
        Path file = Files.writeString(dir.resolve("hoststated.conf"), "table t {\n}\n");
        IOException e = assertThrows(IOException.class, () -> ControlSocketPath.clear(file));
        assertTrue(e.getMessage().contains("not a socket"), e.getMessage());
        assertTrue(Files.exists(file));
    }

    @Test
    void aMissingPathIsFine() throws Exception {
        ControlSocketPath.clear(dir.resolve("none.sock"));
    }

    /**
     * A socket in a directory that does not exist (a mistyped path) could not be bound, but
     * only once the engines had been started: the daemon logged "started", then the failure
     * and the engines' broken channels; detaching, it said only "see the system log".
     */
    @Test
    void aSocketInADirectoryThatDoesNotExistIsRefused() {
        Path sock = dir.resolve("nodir").resolve("hs.sock");
        IOException e = assertThrows(IOException.class, () -> ControlSocketPath.clear(sock));
        assertTrue(e.getMessage().equals("control socket " + sock + ": directory " + sock.getParent()
                + " does not exist"), e.getMessage());
    }

    /**
     * A directory another user than root may write lets that user take the socket over (rename
     * it away and answer in its place, or rename a link over it): warned of (probe G).
     */
    @Test
    void aDirectoryOthersThanRootMayWriteIsNamed() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Path d = Files.createDirectory(dir.resolve("run"));
        Path socket = d.resolve("hoststated.sock");
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        org.junit.jupiter.api.Assertions.assertNull(ControlSocketPath.directoryProblem(socket));
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxr-x"));
        assertTrue(ControlSocketPath.directoryProblem(socket).contains("is writable by others than root"));
        Files.setAttribute(d, "unix:mode", 01777);
        org.junit.jupiter.api.Assertions.assertNull(ControlSocketPath.directoryProblem(socket), "sticky, as /tmp");
        Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(d, "unix:uid", 65534);
        assertTrue(ControlSocketPath.directoryProblem(socket).contains("is not root's"));
    }
}
