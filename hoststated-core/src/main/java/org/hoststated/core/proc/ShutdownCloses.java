package org.hoststated.core.proc;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * A loop's I/O handler whose channels are closed when the loop shuts down, always. Netty
 * (4.2.18) closes them in {@link IoHandler#prepareToDestroy}, which its loop calls only when it
 * finds itself shutting down between its I/O and its tasks: a shutdown with no quiet period
 * (every one of this project's) that comes while the loop runs its tasks ends the loop at its
 * next check, without that call. Such channels were never closed: their descriptors held until
 * the process ended, what was queued on them (an upload cut by its client, waiting for the
 * reset of its server) never released, their peers told nothing. Here the loop's shutdown hook
 * calls it too: the hooks run in that last check, or in the one after it, while the loop still
 * runs the tasks the closes leave (the channels' inactive events). Netty calls it at each turn
 * of a shutdown already, so a second call does nothing more.
 */
public final class ShutdownCloses {
    private ShutdownCloses() {
    }

    /** {@code netty}'s handlers, made to close their channels at every shutdown. */
    public static IoHandlerFactory wrap(IoHandlerFactory netty) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor loop) {
                return new Handler(netty.newHandler(loop), loop);
            }

            @Override
            public boolean isChangingThreadSupported() {
                return netty.isChangingThreadSupported();
            }
        };
    }

    private static final class Handler implements IoHandler {
        private final IoHandler netty;
        private final ThreadAwareExecutor loop;

        Handler(IoHandler netty, ThreadAwareExecutor loop) {
            this.netty = netty;
            this.loop = loop;
        }

        @Override
        public void initialize() {
            netty.initialize();
            if (loop instanceof SingleThreadEventExecutor e) {
                // On the loop (initialize runs there), so the hook is added at once, before
                // any shutdown can look for it.
                e.addShutdownHook(netty::prepareToDestroy);
            }
        }

        @Override
        public int run(IoHandlerContext context) {
            return netty.run(context);
        }

        @Override
        public void prepareToDestroy() {
            netty.prepareToDestroy();
        }

        @Override
        public void destroy() {
            netty.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return netty.register(handle);
        }

        @Override
        public void wakeup() {
            netty.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return netty.isCompatible(handleType);
        }
    }
}
