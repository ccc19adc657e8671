package org.hoststated.parent;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.L3Capabilities;
import org.hoststated.core.posix.AbstractSocketName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a second daemon off the nftables table of this network namespace. pfe owns the table
 * {@code inet hoststated} of its namespace; another hoststated started there (with another
 * control socket) replaced the first one's rules with its own, removed them when it stopped,
 * and with the backend's read-back the two wrote their tables over each other every second.
 * While its configuration uses nftables, the parent holds two locks, both freed by the kernel
 * when it ends, however it ends:
 * <ul>
 * <li>a lock on the file {@code /run/hoststated/nftables-<namespace>.lock}, named after the
 * network namespace's inode, in a directory only root may write: no other user can take it
 * first;
 * <li>the abstract Unix socket name {@link #NAME}, which is scoped to the network namespace and
 * so also meets a daemon whose {@code /run} is another (a container that shares the network
 * namespace only). Abstract names have no owner: any local user could bind it first and keep
 * the daemon from starting (probe G of session 56). A holder that is not root is named in a
 * warning and passed over, the file lock standing alone; a root holder is taken for another
 * hoststated.
 * </ul>
 * Runs on the parent's loop.
 */
final class L3Lock implements Reloader.Claim {
    static final String NAME = "hoststated: nftables table inet hoststated";
    private static final Path DIR = Path.of("/run/hoststated");
    private static final Logger log = LoggerFactory.getLogger(L3Lock.class);

    private final Path dir;
    private final String abstractName;
    private final Function<String, Optional<AbstractNameHolder>> holders;
    private boolean claimed;
    private AbstractSocketName name;
    private FileChannel file;

    L3Lock() {
        this(DIR, NAME, AbstractNameHolder::of);
    }

    /**
     * @param dir where the lock files are
     * @param abstractName the abstract socket name
     * @param holders who holds an abstract name
     */
    L3Lock(Path dir, String abstractName, Function<String, Optional<AbstractNameHolder>> holders) {
        this.dir = dir;
        this.abstractName = abstractName;
        this.holders = holders;
    }

    /**
     * Takes the locks when {@code config} uses nftables and they are not held yet.
     *
     * @throws IOException with a one-line reason when another hoststated holds them
     */
    @Override
    public void claim(Config config) throws IOException {
        if (claimed || !"nftables".equals(L3Capabilities.backendFor(config))) {
            return;
        }
        file = lockFile();
        try {
            name = AbstractSocketName.tryBind(abstractName);
            if (name == null) {
                Optional<AbstractNameHolder> holder = holders.apply(abstractName);
                if (holder.isEmpty() || holder.get().uid() == 0 || file == null) {
                    throw new IOException("another hoststated drives nftables table inet hoststated in this network "
                            + "namespace (" + holder.map(AbstractNameHolder::describe)
                                    .orElse("ss -xap | grep '@" + abstractName + "' shows it") + ")");
                }
                log.warn("the name @{} is held by {}, which is not a hoststated: going on with the lock file {}",
                        abstractName, holder.get().describe(), lockPath());
            }
        } catch (IOException e) {
            release();
            throw e;
        }
        claimed = true;
    }

    /**
     * The locked file, or null when {@code /run} cannot have one here (the abstract name then
     * stands alone, as before the file).
     *
     * @throws IOException when another process holds the file's lock
     */
    private FileChannel lockFile() throws IOException {
        Path path;
        FileChannel ch;
        try {
            path = lockPath();
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(dir, mode("rwx------"));
            }
            if (!Integer.valueOf(0).equals(Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                log.warn("{} is not root's: the nftables lock is the abstract name alone", dir);
                return null;
            }
            ch = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    LinkOption.NOFOLLOW_LINKS), mode("rw-------"));
        } catch (IOException | UnsupportedOperationException e) {
            log.debug("no nftables lock file in {}: {}", dir, e.getMessage());
            return null;
        }
        try {
            if (ch.tryLock() != null) {
                return ch;
            }
        } catch (OverlappingFileLockException e) {
            // this process holds it already
        } catch (IOException e) {
            ch.close();
            log.debug("cannot lock {}: {}", path, e.getMessage());
            return null;
        }
        ch.close();
        throw new IOException("another hoststated drives nftables table inet hoststated in this network namespace"
                + " (it holds " + path + ")");
    }

    private static FileAttribute<?> mode(String permissions) {
        return PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(permissions));
    }

    /** The lock file of this network namespace, named after the namespace's inode. */
    private Path lockPath() throws IOException {
        Object inode = Files.getAttribute(Path.of("/proc/self/ns/net"), "unix:ino");
        return dir.resolve("nftables-" + inode + ".lock");
    }

    /**
     * Why a daemon for {@code config} could not start here now, or null: asked before the
     * daemon puts itself in the background, so the caller sees why.
     */
    static String problem(Config config) {
        L3Lock probe = new L3Lock();
        try {
            probe.claim(config);
            return null;
        } catch (IOException e) {
            return e.getMessage();
        } finally {
            probe.release();
        }
    }

    /** Lets the locks go when {@code running}, the configuration that runs, does not use nftables. */
    @Override
    public void keep(Config running) {
        if (!"nftables".equals(L3Capabilities.backendFor(running))) {
            release();
        }
    }

    void release() {
        claimed = false;
        try {
            if (name != null) {
                name.close();
            }
            if (file != null) {
                file.close(); // and its lock
            }
        } catch (IOException e) {
            log.debug("letting the nftables locks go: {}", e.getMessage());
        }
        name = null;
        file = null;
    }
}
