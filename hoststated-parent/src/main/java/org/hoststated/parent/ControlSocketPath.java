package org.hoststated.parent;

import java.io.IOException;
import java.net.ConnectException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Clears the control socket's path before the daemon binds it. A socket left by a daemon that
 * died is removed; but a socket a running daemon still answers on is refused, as OpenBSD's
 * control_init does ("socket in use"): removing it would leave that daemon without control
 * (and the new one, failing on its ports or stopped later, removes its own socket too).
 * Anything that is not a socket (a mistyped path naming a file) is refused, not deleted, and
 * so is a path whose directory does not exist.
 */
final class ControlSocketPath {
    private ControlSocketPath() {
    }

    /** @throws IOException with a one-line message when the path must not be taken over */
    static void clear(Path path) throws IOException {
        String problem = problem(path);
        if (problem != null) {
            throw new IOException(problem);
        }
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (answers(path)) {
            throw new IOException("control socket " + path + " is in use (is hoststated already running?)");
        }
        Files.deleteIfExists(path);
    }

    /**
     * Why the socket cannot be bound at {@code path} whoever runs (binding fails later, once the
     * engines run, for a directory that is not there), or null: its directory is missing or no
     * directory, or something that is not a socket is there (never deleted). {@link #clear}
     * refuses a start with it; {@code -n} warns of it.
     */
    static String problem(Path path) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            return "control socket " + path + ": " + (Files.exists(parent) ? parent + " is not a directory"
                    : "directory " + parent + " does not exist");
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)
                && !Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).isOther()) {
            return "control socket " + path + " exists and is not a socket";
        }
        return null;
    }

    /**
     * Why the directory of the socket {@code path} lets another user than root take the socket
     * over (rename it away and answer in its place), or null: one that is not root's, or that
     * its group or every user may write without the sticky bit (probe G of session 56).
     */
    static String directoryProblem(Path path) {
        Path dir = path.toAbsolutePath().getParent();
        try {
            Path real = dir.toRealPath();
            int uid = (Integer) Files.getAttribute(real, "unix:uid");
            int mode = (Integer) Files.getAttribute(real, "unix:mode");
            if (uid != 0) {
                return "its directory " + real + " is not root's: its owner may take the socket over";
            }
            if ((mode & 0022) != 0 && (mode & 01000) == 0) {
                return "its directory " + real + " is writable by others than root (chmod go-w, or +t): they may take"
                        + " the socket over";
            }
            return null;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null; // bound or refused later, with the system's words
        }
    }

    private static boolean answers(Path path) throws IOException {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (ConnectException e) {
            // ECONNREFUSED: nobody listens, the socket is stale.
            return false;
        } catch (IOException e) {
            // Not a socket (a fifo) or no permission to ask: do not take it over blindly.
            throw new IOException("control socket " + path + ": " + e.getMessage(), e);
        }
    }
}
