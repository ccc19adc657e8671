package org.hoststated.parent;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.hoststated.core.posix.Fds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The jars every engine runs from: the parent's own, opened once when the first engine starts
 * and handed to each engine as inherited descriptors, its class path naming them as
 * {@code /dev/fd/N}. An upgrade that replaces the installed jars while the daemon runs (their
 * names carry versions, so it removes the old ones) then leaves an engine restarted later on
 * the build of the parent it talks to: with the paths, it would find no jars, or a build whose
 * messages the parent does not read, and fail at every restart until the daemon's. Directories
 * (a build's classes in tests) and entries that cannot be opened stay as paths.
 */
final class EngineClassPath {
    private static final Logger log = LoggerFactory.getLogger(EngineClassPath.class);
    /** The child's first jar descriptor, clear of stdio and the engine's 3 and 4. */
    static final int FIRST_CHILD_FD = 10;

    private static EngineClassPath parents;

    /** The engine's class path. */
    final String classPath;
    /** Child descriptor to the parent's, for {@link org.hoststated.core.posix.Spawner}. */
    final Map<Integer, Integer> descriptors;

    private EngineClassPath(String classPath, Map<Integer, Integer> descriptors) {
        this.classPath = classPath;
        this.descriptors = Map.copyOf(descriptors);
    }

    /** The class path of this JVM, its jars opened at the first call. */
    static synchronized EngineClassPath ofThisProcess() {
        if (parents == null) {
            parents = open(System.getProperty("java.class.path", ""));
        }
        return parents;
    }

    /** Opens the jars of {@code classPath} (close-on-exec; the spawn gives each child its copy). */
    static EngineClassPath open(String classPath) {
        List<String> entries = new ArrayList<>();
        Map<Integer, Integer> fds = new HashMap<>();
        int next = FIRST_CHILD_FD;
        for (String entry : classPath.split(File.pathSeparator)) {
            if (entry.isEmpty()) {
                continue;
            }
            if (Files.isRegularFile(Path.of(entry))) {
                try {
                    fds.put(next, Fds.openReadOnly(entry));
                    entries.add("/dev/fd/" + next);
                    next++;
                    continue;
                } catch (IOException e) {
                    log.warn("engines will open {} by its path: {}", entry, e.getMessage());
                }
            }
            entries.add(entry);
        }
        return new EngineClassPath(String.join(File.pathSeparator, entries), fds);
    }
}
