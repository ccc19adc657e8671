package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.posix.FdPassing;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.SocketPair;
import org.hoststated.core.proc.FdTag;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The parent passes descriptors to an engine that does not read them without blocking its
 * loop: they wait, in order, and go once the engine reads.
 */
class FdSenderTest {
    private final DefaultEventLoop loop = new DefaultEventLoop();

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void anEngineThatDoesNotReadNeitherBlocksTheLoopNorLosesADescriptor() throws Exception {
        int[] sv = SocketPair.open();
        int devNull = Fds.openDevNull();
        int openBefore = Fds.openFds().size();
        FdSender sender = new FdSender(sv[0], loop, "relay engine");
        // Far more than the socket takes unread (a few hundred): a blocking sendmsg held the
        // parent's loop at that point, for good.
        int passes = 3_000;
        loop.submit(() -> {
            for (int i = 1; i <= passes; i++) {
                sender.pass(FdTag.listener(i, 7), devNull);
            }
            return null;
        }).get(20, TimeUnit.SECONDS);
        int waiting = loop.submit(sender::waiting).get(20, TimeUnit.SECONDS);
        assertTrue(waiting > 0 && waiting < passes, waiting + " of " + passes + " wait");
        assertEquals(openBefore + waiting, Fds.openFds().size(), "a copy of each waiting descriptor");

        for (int i = 1; i <= passes; i++) {
            FdPassing.Received r = FdPassing.receive(sv[1], FdTag.SIZE);
            FdTag tag = FdTag.decode(r.tag());
            assertEquals(FdTag.listener(i, 7), tag, "in order");
            assertTrue(Fds.describe(r.fd()).equals("/dev/null"), Fds.describe(r.fd()));
            Fds.close(r.fd());
        }
        assertEquals(0, (int) loop.submit(sender::waiting).get(20, TimeUnit.SECONDS));
        assertEquals(openBefore, Fds.openFds().size(), "the copies are closed once sent");

        loop.submit(sender::close).get(20, TimeUnit.SECONDS);
        assertTrue(FdPassing.receive(sv[1], FdTag.SIZE).eof());
        Fds.close(sv[1]);
        Fds.close(devNull);
    }

    @Test
    void anEngineFarBehindIsNotReadingAndClosingGivesBackTheCopies() throws Exception {
        int[] sv = SocketPair.open();
        int devNull = Fds.openDevNull();
        int openBefore = Fds.openFds().size();
        FdSender sender = new FdSender(sv[0], loop, "relay engine", 10);
        java.util.concurrent.Callable<Void> flood = () -> {
            while (true) {
                sender.pass(FdTag.syslog(), devNull);
            }
        };
        ExecutionException e = assertThrows(ExecutionException.class, () -> loop.submit(flood).get(20, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof FdSender.NotReading, String.valueOf(e.getCause()));
        assertEquals("10 descriptors passed to it wait unread", e.getCause().getMessage());
        loop.submit(sender::close).get(20, TimeUnit.SECONDS);
        assertEquals(openBefore - 1, Fds.openFds().size(), "the copies and the socket closed");
        Fds.close(sv[1]);
        Fds.close(devNull);
    }
}
