package org.hoststated.core.proc;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;

/**
 * Netty's epoll I/O handler, with one defect of Netty 4.2 (up to 4.2.20 at least) worked
 * around: when a channel wants no event at all, Netty removes its descriptor from the epoll
 * set but still believes it is there, so the channel's next interest (to write, to read again)
 * fails with ENOENT and Netty fails the channel, dropping what it still had to write.
 *
 * <p>A relay reaches that state in ordinary traffic: a client half-closes while the relay has
 * stopped reading from it for back-pressure (no EPOLLIN, and EPOLLRDHUP is dropped once seen);
 * the response still to be written then needs EPOLLOUT. Found by a relay test that lost up to
 * 7 MB of a stream. Here "no event" becomes EPOLLONESHOT with no event: the descriptor stays
 * registered but disarmed (a hang-up is reported at most once, so there is no busy loop, which
 * is what Netty's removal avoids), and the next interest re-arms it with EPOLL_CTL_MOD.
 */
public final class EpollLoops {
    /** EPOLLONESHOT of sys/epoll.h: after one event the descriptor is disarmed until modified. */
    static final int EPOLLONESHOT = 1 << 30;
    private static final EpollIoOps DISARMED = EpollIoOps.valueOf(EPOLLONESHOT);

    private EpollLoops() {
    }

    /** Use instead of {@link EpollIoHandler#newFactory()}. */
    public static IoHandlerFactory newFactory() {
        IoHandlerFactory netty = EpollIoHandler.newFactory();
        return executor -> new KeepRegistered(netty.newHandler(executor));
    }

    /** What is submitted instead of {@code ops}. */
    static IoOps replace(IoOps ops) {
        return ops instanceof EpollIoOps e && e.value() == EpollIoOps.NONE.value() ? DISARMED : ops;
    }

    private static final class KeepRegistered implements IoHandler {
        private final IoHandler netty;

        KeepRegistered(IoHandler netty) {
            this.netty = netty;
        }

        @Override
        public void initialize() {
            netty.initialize();
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
            return new Registration(netty.register(handle));
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

    private record Registration(IoRegistration netty) implements IoRegistration {
        @Override
        public <T> T attachment() {
            return netty.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            return netty.submit(replace(ops));
        }

        @Override
        public boolean isValid() {
            return netty.isValid();
        }

        @Override
        public boolean cancel() {
            return netty.cancel();
        }
    }
}
