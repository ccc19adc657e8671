package org.hoststated.core.log;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Whether fd 2 is systemd's journal stream: systemd names the stream it connects a service's
 * output to in {@code JOURNAL_STREAM} ("device:inode", systemd.exec(5)), and a service's own
 * stderr is that stream only while nobody redirected it (a shell under the unit may have).
 * Stateless.
 */
final class JournalStream {
    private JournalStream() {
    }

    /** Whether {@code journalStream}, the variable's value or null, names this process's fd 2. */
    static boolean isStderr(String journalStream) {
        return journalStream != null && journalStream.equals(of(Path.of("/proc/self/fd/2")));
    }

    /** "device:inode" of what {@code path} leads to, as systemd spells it, or null. */
    static String of(Path path) {
        try {
            Object dev = Files.getAttribute(path, "unix:dev");
            Object ino = Files.getAttribute(path, "unix:ino");
            return dev + ":" + ino;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }
}
