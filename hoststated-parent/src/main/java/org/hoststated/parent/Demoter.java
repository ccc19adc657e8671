package org.hoststated.parent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.hoststated.core.msg.Demote;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies demotion (SPEC section 4 {@code demote}): pfe's per-table requests and the global
 * {@code demote} group (0 at start, 128 at stop). On OpenBSD the counters are carp interface
 * groups' demote counters, changed with {@code ifconfig -g}; elsewhere (Linux) each group is a
 * file holding its counter, {@code /var/run/hoststated/demote/<group>} (directory set by the
 * system property {@code hoststated.demote.dir}), which keepalived follows with
 * {@code track_file} (docs/keepalived.md). Only this daemon's own net changes are undone at
 * stop. Called on the parent's loop; the work runs on one thread of its own, in order, so a
 * slow {@code ifconfig} never blocks the loop.
 */
final class Demoter {
    private static final Logger log = LoggerFactory.getLogger(Demoter.class);
    /** The global group's counter at stop: carp's "do not be master" level. */
    static final int STOPPED_LEVEL = 128;
    private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_.-]{1,15}");

    /** A place that holds demote counters per group. */
    interface Counters {
        int read(String group) throws IOException;

        void add(String group, int delta) throws IOException;

        /** Sets {@code group}'s counter to {@code level}. */
        default void set(String group, int level) throws IOException {
            int now = read(group);
            if (now != level) {
                add(group, level - now);
            }
        }
    }

    private final Counters counters;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "demote");
        t.setDaemon(true);
        return t;
    });
    /** Net change this daemon made per group; touched by the worker thread only. */
    private final Map<String, Integer> net = new HashMap<>();
    /** Touched by the worker thread only. */
    private String global;
    /** The pfe process whose requests {@link #net} holds; worker thread only. */
    private int pfePid;

    Demoter() {
        this(forThisSystem());
    }

    Demoter(Counters counters) {
        this.counters = counters;
    }

    static Counters forThisSystem() {
        if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("openbsd")) {
            return new CarpGroups();
        }
        return new TrackFiles(Path.of(System.getProperty("hoststated.demote.dir", "/var/run/hoststated/demote")));
    }

    /**
     * Takes the global {@code demote} group of a (re)loaded configuration: reset to 0 when it
     * is new (a reload that keeps the group leaves its counter alone).
     */
    void configure(String globalGroup) {
        worker.execute(() -> {
            if (Objects.equals(global, globalGroup)) {
                return;
            }
            global = globalGroup;
            if (globalGroup != null && valid(globalGroup)) {
                setTo(globalGroup, 0);
            }
        });
    }

    /**
     * pfe (process {@code pid}) runs a configuration. A new pfe process knows nothing of the
     * demotions its predecessor asked for and asks again for the tables still down, so those
     * are given back first; the same process after a reload keeps its own account.
     */
    void pfeReady(int pid) {
        worker.execute(() -> {
            if (pfePid != 0 && pid != pfePid && !net.isEmpty()) {
                log.info("giving back the demotions of the previous pf engine: {}", net);
                undoNet();
            }
            pfePid = pid;
        });
    }

    /** Changes {@code d.group()}'s demote counter by {@code d.delta()}. */
    void demote(Demote d) {
        worker.execute(() -> {
            if (!valid(d.group())) {
                return;
            }
            try {
                counters.add(d.group(), d.delta());
                net.merge(d.group(), d.delta(), Integer::sum);
                log.info("{} the demote state of group '{}'", d.delta() > 0 ? "incremented" : "decremented", d.group());
            } catch (IOException e) {
                log.error("cannot change the demote state of group '{}': {}", d.group(), e.getMessage());
            }
        });
    }

    /** Gives back every demotion this daemon made and sets the global group to 128 (at stop). */
    void resetAll() {
        worker.execute(() -> {
            undoNet();
            if (global != null && valid(global)) {
                setTo(global, STOPPED_LEVEL);
            }
        });
        worker.shutdown();
        try {
            worker.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Gives back the net change pfe's requests made; worker thread only. */
    private void undoNet() {
        for (var e : net.entrySet()) {
            if (e.getValue() != 0) {
                try {
                    counters.add(e.getKey(), -e.getValue());
                } catch (IOException ex) {
                    log.error("cannot reset the demote state of group '{}': {}", e.getKey(), ex.getMessage());
                }
            }
        }
        net.clear();
    }

    private void setTo(String group, int level) {
        try {
            counters.set(group, level);
            log.debug("demote state of group '{}' set to {}", group, level);
        } catch (IOException e) {
            log.error("cannot set the demote state of group '{}': {}", group, e.getMessage());
        }
    }

    private static boolean valid(String group) {
        if (GROUP.matcher(group).matches() && !group.startsWith(".")) {
            return true;
        }
        log.error("invalid demote group name '{}'", group);
        return false;
    }

    /** carp interface groups (OpenBSD), through {@code ifconfig -g}. */
    static final class CarpGroups implements Counters {
        private static final Pattern COUNT = Pattern.compile("demote count (\\d+)");

        @Override
        public int read(String group) throws IOException {
            String out = run(List.of("ifconfig", "-g", group));
            Matcher m = COUNT.matcher(out);
            if (!m.find()) {
                throw new IOException("no demote count for group " + group + " in: " + out.strip());
            }
            return Integer.parseInt(m.group(1));
        }

        @Override
        public void add(String group, int delta) throws IOException {
            run(List.of("ifconfig", "-g", group, delta > 0 ? "carpdemote" : "-carpdemote",
                    Integer.toString(Math.abs(delta))));
        }

        private static String run(List<String> argv) throws IOException {
            Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
            try {
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", argv) + ": " + out.strip());
                }
                return out;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
    }

    /**
     * One file per group holding its counter as a decimal line, replaced atomically (written
     * beside it, then renamed), for keepalived's {@code track_file}.
     */
    static final class TrackFiles implements Counters {
        /** root's alone to change, whatever the umask: other programs trust the counters. */
        private static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwxr-xr-x");
        private static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r--r--");
        private final Path dir;

        TrackFiles(Path dir) {
            this.dir = dir;
        }

        @Override
        public int read(String group) throws IOException {
            Path f = dir.resolve(group);
            if (!Files.exists(f)) {
                return 0;
            }
            try {
                return Integer.parseInt(Files.readString(f).strip());
            } catch (NumberFormatException e) {
                log.warn("demote file {} holds no number; counting from 0", f);
                return 0;
            }
        }

        @Override
        public void add(String group, int delta) throws IOException {
            set(group, Math.max(0, read(group) + delta));
        }

        /**
         * Writes the file even when it already holds {@code value}: the global group's file
         * then exists, holding 0, from the start; a missing file otherwise looked the same as
         * a daemon that never started.
         */
        @Override
        public void set(String group, int value) throws IOException {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(dir);
            }
            // The modes are set, not left to the umask the daemon was started with (000 made the
            // counter any user's to change; probe G of session 56).
            Files.setPosixFilePermissions(dir, DIR_MODE);
            Path tmp = dir.resolve("." + group + ".tmp");
            // A new file, never one found there: a link planted in its place had root write
            // through it.
            Files.deleteIfExists(tmp);
            try (var out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                out.write((value + "\n").getBytes(StandardCharsets.US_ASCII));
            }
            Files.setPosixFilePermissions(tmp, FILE_MODE);
            Files.move(tmp, dir.resolve(group), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
