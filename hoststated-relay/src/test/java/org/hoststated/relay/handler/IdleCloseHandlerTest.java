package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class IdleCloseHandlerTest {
    @Test
    void closesTheSessionWhenIdleForTheTimeout() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleStateHandler(true, 0, 0, 600, TimeUnit.SECONDS), IdleCloseHandler.INSTANCE);
        ch.advanceTimeBy(599, TimeUnit.SECONDS);
        ch.runPendingTasks();
        assertTrue(ch.isOpen());
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals("session timeout", RelaySession.reason(ch));
        assertFalse(ch.finishAndReleaseAll());
    }

    @Test
    void trafficKeepsTheSessionOpen() {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        ch.pipeline().addLast(new IdleStateHandler(true, 0, 0, 10, TimeUnit.SECONDS), IdleCloseHandler.INSTANCE);
        for (int i = 0; i < 5; i++) {
            ch.advanceTimeBy(8, TimeUnit.SECONDS);
            ch.runPendingTasks();
            ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(new byte[] {1}));
            io.netty.util.ReferenceCountUtil.release(ch.readInbound());
        }
        assertTrue(ch.isOpen());
        assertFalse(ch.finishAndReleaseAll());
    }
}
