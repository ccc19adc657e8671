package org.hoststated.parent;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The body of an engine's JVM crash report (hs_err), which the JVM writes on the engine's
 * output when it cannot write its file (the engine's chroot has no room for one): kept in a
 * file only root may read rather than in the log. It is some 700 lines of registers, raw stack
 * and code bytes, the memory map and the environment, which went to syslog whole (probe AN).
 * The log keeps the JVM's summary before it: the signal, the frame, the JVM's version.
 */
final class CrashReport implements AutoCloseable {
    /** The JVM's first line of a crash. */
    static final String FATAL = "# A fatal error has been detected by the Java Runtime Environment";
    /** How each part of the report's body begins ("---------------  S U M M A R Y ------------"). */
    static final String PART = "---------------";

    private final Path file;
    private final OutputStream out;
    private int lines;

    private CrashReport(Path file, OutputStream out) {
        this.file = file;
        this.out = out;
    }

    /**
     * A new file for the report of engine {@code procName} (process {@code pid}) in {@code dir},
     * mode 0600, made afresh under a name no one can guess: {@code /var/tmp} is every user's,
     * and a file or link put there first under the name the pid gives sent the report back to
     * the log (probe AQ).
     */
    static CrashReport open(Path dir, String procName, long pid) throws IOException {
        Path file = Files.createTempFile(dir, "hoststated-" + procName + "-crash-" + pid + "-", ".log",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        var channel = Files.newByteChannel(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                LinkOption.NOFOLLOW_LINKS));
        return new CrashReport(file, Channels.newOutputStream(channel));
    }

    void line(String text) throws IOException {
        out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
        lines++;
    }

    Path file() {
        return file;
    }

    int lines() {
        return lines;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
