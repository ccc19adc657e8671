package org.hoststated.core.proc;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>An io_uring loop ({@link #wrapRing}) also closes its channels itself before Netty's
 * {@code prepareToDestroy} runs. A channel with a read or a write in flight closes in steps
 * (cancel them, then submit the descriptor's close once they completed); Netty's
 * {@code prepareToDestroy} queues a draining no-op before it handles those completions, and
 * io_uring starts nothing submitted after a draining entry until every entry before it has
 * completed (the timeout of the loop's last wait is one: it runs to the next scheduled task,
 * the 5 s of a delayed reset). The descriptor's close waited behind it, the loop's end (200 ms
 * at most) came first, and the descriptor stayed open until the process ended: 3 loop stops
 * of 80 with such a connection (LoopShutdownTest's case), none of 80 since. Closed first, with
 * the loop's I/O run until nothing more completes, the closes are done before that barrier.
 */
public final class ShutdownCloses {
    private static final Logger log = LoggerFactory.getLogger(ShutdownCloses.class);
    /** Turns of I/O at most to let the closes complete: each is one cancel, then one close. */
    private static final int CLOSE_TURNS = 8;

    private ShutdownCloses() {
    }

    /** {@code netty}'s handlers, made to close their channels at every shutdown. */
    public static IoHandlerFactory wrap(IoHandlerFactory netty) {
        return wrap(netty, false);
    }

    /** As {@link #wrap}, for io_uring: the closes complete before Netty's teardown begins. */
    public static IoHandlerFactory wrapRing(IoHandlerFactory netty) {
        return wrap(netty, true);
    }

    private static IoHandlerFactory wrap(IoHandlerFactory netty, boolean closeFirst) {
        return ForwardingIoHandler.factory(netty, (handler, loop) -> new Handler(handler, loop, closeFirst));
    }

    private static final class Handler extends ForwardingIoHandler {
        private final ThreadAwareExecutor loop;
        /** The handles registered and not cancelled, when they are closed first; only on the loop. */
        private final Set<IoHandle> registered;

        Handler(IoHandler netty, ThreadAwareExecutor loop, boolean closeFirst) {
            super(netty);
            this.loop = loop;
            this.registered = closeFirst ? Collections.newSetFromMap(new IdentityHashMap<>()) : null;
        }

        @Override
        public void initialize() {
            netty.initialize();
            if (loop instanceof SingleThreadEventExecutor e) {
                // On the loop (initialize runs there), so the hook is added at once, before
                // any shutdown can look for it.
                e.addShutdownHook(this::prepareToDestroy);
            }
        }

        @Override
        public void prepareToDestroy() {
            if (registered != null && !registered.isEmpty()) {
                closeRegistered();
            }
            netty.prepareToDestroy();
        }

        /**
         * Closes every registered handle, then runs the loop's I/O without waiting until a turn
         * completes nothing: what is still in flight then (a write the kernel cannot cancel) is
         * left to Netty, as before.
         */
        private void closeRegistered() {
            for (IoHandle h : new ArrayList<>(registered)) {
                try {
                    h.close();
                } catch (Exception e) {
                    log.debug("closing {} as its loop stops", h, e);
                }
            }
            for (int turn = 0; turn < CLOSE_TURNS && netty.run(NO_WAIT) > 0; turn++) {
                // each turn handles what the previous one's submissions completed
            }
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            IoRegistration r = netty.register(handle);
            if (registered == null) {
                return r;
            }
            registered.add(handle);
            return new Registration(r, handle);
        }

        /** Netty's registration, which forgets its handle when cancelled (on the loop or not). */
        private final class Registration implements IoRegistration {
            private final IoRegistration netty;
            private final IoHandle handle;

            Registration(IoRegistration netty, IoHandle handle) {
                this.netty = netty;
                this.handle = handle;
            }

            @Override
            public <T> T attachment() {
                return netty.attachment();
            }

            @Override
            public long submit(IoOps ops) {
                return netty.submit(ops);
            }

            @Override
            public boolean isValid() {
                return netty.isValid();
            }

            @Override
            public boolean cancel() {
                boolean cancelled = netty.cancel();
                if (loop.isExecutorThread(Thread.currentThread())) {
                    registered.remove(handle);
                } else {
                    loop.execute(() -> registered.remove(handle));
                }
                return cancelled;
            }
        }
    }

    /** A turn of I/O that does not wait: it submits what is queued and handles what completed. */
    static final IoHandlerContext NO_WAIT = new IoHandlerContext() {
        @Override
        public boolean canBlock() {
            return false;
        }

        @Override
        public long delayNanos(long currentTimeNanos) {
            return 0;
        }

        @Override
        public long deadlineNanos() {
            return -1;
        }
    };
}
