package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import jnr.unixsocket.UnixDatagramChannel;
import jnr.unixsocket.UnixSocketAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messages reach a datagram socket standing in for systemd's, by path and by abstract name. */
class NotifySocketTest {
    @TempDir
    Path dir;

    @Test
    void aMessageArrivesAsOneDatagramAtAPath() throws Exception {
        Path path = dir.resolve("notify");
        try (UnixDatagramChannel manager = UnixDatagramChannel.open()) {
            manager.bind(new UnixSocketAddress(path.toFile()));
            try (NotifySocket n = NotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", path.toString()))) {
                n.send("READY=1\nSTATUS=ok");
                n.send("WATCHDOG=1");
            }
            assertEquals("READY=1\nSTATUS=ok", receive(manager));
            assertEquals("WATCHDOG=1", receive(manager));
        }
    }

    @Test
    void anAbstractNameStartsWithAnAt() throws Exception {
        String name = "hoststated-notify-test-" + ProcessHandle.current().pid();
        try (AbstractSocketName manager = AbstractSocketName.tryBind(name);
                NotifySocket n = NotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", "@" + name))) {
            n.send("READY=1");
        }
    }

    @Test
    void withoutTheVariableThereIsNoSocket() throws Exception {
        assertNull(NotifySocket.fromEnvironment(Map.of()));
        assertNull(NotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", "")));
    }

    @Test
    void aNameThatIsNoSocketIsAnErrorThatSaysWhich() {
        IOException e = assertThrows(IOException.class,
                () -> NotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", "relative/name")));
        assertTrue(e.getMessage().contains("relative/name"), e.getMessage());
        IOException missing = assertThrows(IOException.class,
                () -> NotifySocket.fromEnvironment(Map.of("NOTIFY_SOCKET", dir.resolve("none").toString())));
        assertTrue(missing.getMessage().contains("NOTIFY_SOCKET"), missing.getMessage());
    }

    private static String receive(UnixDatagramChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4096);
        ch.receive(b);
        b.flip();
        return StandardCharsets.UTF_8.decode(b).toString();
    }
}
