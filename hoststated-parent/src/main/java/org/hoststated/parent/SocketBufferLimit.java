package org.hoststated.parent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ProtocolConfig;

/**
 * Warns of a {@code tcp { socket buffer }} above what the kernel lets the relay engine set
 * (net.core.rmem_max and wmem_max; it runs unprivileged): the kernel cuts it down without a
 * word, and the option turns off the buffers' autotuning, so a "large" value may leave sockets
 * smaller than none would (probe AE: 16 MiB gave 8 MiB in the kernel's count). Read by the
 * parent, which sees /proc; for {@code -n}, the start and reloads.
 */
final class SocketBufferLimit {
    private static final Path CORE = Path.of("/proc/sys/net/core");

    private SocketBufferLimit() {
    }

    static List<String> problems(Config config) {
        return problems(config, CORE);
    }

    /** One warning per protocol whose buffer is above the smaller limit; none when unknown. */
    static List<String> problems(Config config, Path core) {
        long limit = Math.min(read(core.resolve("rmem_max")), read(core.resolve("wmem_max")));
        List<String> out = new ArrayList<>();
        for (ProtocolConfig p : config.protocols()) {
            int size = p.tcp() == null ? 0 : p.tcp().socketBuffer();
            if (size > limit) {
                out.add("protocol " + p.name() + ": tcp socket buffer " + size + " is above the kernel's limit for the"
                        + " relay engine (" + limit + " bytes: net.core.rmem_max and wmem_max), which it is cut to;"
                        + " raise those, or leave the option out to keep the kernel's autotuning");
            }
        }
        return out;
    }

    /**
     * The value of {@code SO_SNDBUF} that gives a socket the system's default send buffer
     * ({@code net.core.wmem_default}; the kernel doubles what it is given), or the stock
     * Linux one's when that cannot be read.
     */
    static int defaultSendBufferOption() {
        long bytes = read(CORE.resolve("wmem_default"));
        return (int) Math.min(Integer.MAX_VALUE, bytes == Long.MAX_VALUE ? 212_992 : bytes) / 2;
    }

    private static long read(Path p) {
        try {
            // Not Files.readString: of a sysctl file it gives the first byte alone ("4" for 4194304).
            return Long.parseLong(String.join("", Files.readAllLines(p)).trim());
        } catch (IOException | NumberFormatException e) {
            return Long.MAX_VALUE; // not Linux, or not readable: nothing to say
        }
    }
}
