package org.hoststated.core.proc;

import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.collection.IntObjectMap;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.ArrayList;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's epoll I/O handler with changes that work around a defect of Netty 4.2 and save
 * system calls.
 *
 * <p><b>No interest keeps the descriptor registered.</b> When a channel wants no event at all,
 * Netty 4.2 (up to 4.2.20 at least) removes its descriptor from the epoll set but still
 * believes it is there, so the channel's next interest (to write, to read again) fails with
 * ENOENT and Netty fails the channel, dropping what it still had to write. A relay reaches
 * that state in ordinary traffic: a client half-closes while the relay has stopped reading
 * from it for back-pressure (no EPOLLIN, and EPOLLRDHUP is dropped once seen); the response
 * still to be written then needs EPOLLOUT. Found by a relay test that lost up to 7 MB of a
 * stream. Here "no event" becomes EPOLLONESHOT with no event: the descriptor stays registered
 * but disarmed (a hang-up is reported at most once, so there is no busy loop, which is what
 * Netty's removal avoids), and the next interest re-arms it with EPOLL_CTL_MOD.
 *
 * <p><b>Interest changes wait for the next wait.</b> Netty calls {@code epoll_ctl} for every
 * change of a channel's interest at once: an accepted connection is added, then modified as
 * soon as it starts reading, and an HTTP relay stops and restarts reading its client around
 * each request. Here a change made on the loop is noted and only the last one per descriptor
 * is applied, just before the loop waits for events again (as kqueue's change list does). No
 * event can be seen in between, and EPOLL_CTL_MOD reports a descriptor that is already ready,
 * so nothing is missed: a new connection costs one {@code epoll_ctl} instead of two, and a
 * stop and restart within one turn of the loop costs none.
 *
 * <p><b>A TCP connection joins the epoll set only when it must, and leaves it by closing.</b>
 * These apply to the connections this process made ({@link EpollSocketChannel}: accepted or
 * connected here, and close-on-exec, so no other process keeps their socket); listening
 * sockets passed in by the parent and Unix socket pairs are left as Netty handles them.
 * <ul>
 * <li>Its first wish to read is tried at once, before it is added: a client's request has
 *     usually arrived by the time its connection is accepted. Only if the connection still
 *     wants an event afterwards is it added (HAProxy, too, polls only what would block).</li>
 * <li>Until it is added, "no event" is not added either: it has no interest to disarm (a
 *     reset meanwhile is seen at its next read or write).</li>
 * <li>Its removal waits, like a change, until the loop next waits. Netty removes a channel
 *     from the loop just before it closes the socket, and the removal then needs
 *     EPOLL_CTL_DEL; once the socket is closed, the kernel has dropped it from the epoll set
 *     by itself and Netty skips the call. Events already collected for it are not passed
 *     on, and a new descriptor of the same number takes the old one's place only after the
 *     old one is removed.</li>
 * </ul>
 * A connection of the HTTP relay in {@code Connection: close} mode thus costs one
 * {@code epoll_ctl} where it cost two: its client is still added, since the relay goes on
 * reading it while the request is at the backend.
 */
public final class EpollLoops {
    /** EPOLLONESHOT of sys/epoll.h: after one event the descriptor is disarmed until modified. */
    static final int EPOLLONESHOT = 1 << 30;
    private static final Logger log = LoggerFactory.getLogger(EpollLoops.class);
    private static final EpollIoOps DISARMED = EpollIoOps.valueOf(EPOLLONESHOT);
    /** What a connection's first read is tried as: the event epoll would report. */
    private static final EpollIoEvent INPUT_READY = () -> EpollIoOps.EPOLLIN;
    /** Whether a handle's class is that of a TCP connection's channel (asked once per class). */
    private static final ClassValue<Boolean> TCP_CONNECTION = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> type) {
            return type.getEnclosingClass() == EpollSocketChannel.class;
        }
    };

    private EpollLoops() {
    }

    /** Use instead of {@link EpollIoHandler#newFactory()}. */
    public static IoHandlerFactory newFactory() {
        return wrap(EpollIoHandler.newFactory(), EpollLoops::isTcpConnection);
    }

    /**
     * {@code netty}'s handlers with the changes above; {@code connections} tells which handles
     * are TCP connections of this process (tests give stand-ins, and a handler that records).
     */
    static IoHandlerFactory wrap(IoHandlerFactory netty, Predicate<EpollIoHandle> connections) {
        return executor -> new Handler(netty.newHandler(executor), executor, connections);
    }

    /** Whether {@code handle} is the I/O handle of an {@link EpollSocketChannel}. */
    static boolean isTcpConnection(EpollIoHandle handle) {
        return TCP_CONNECTION.get(handle.getClass());
    }

    /** What is submitted instead of {@code ops}. */
    static IoOps replace(IoOps ops) {
        return ops instanceof EpollIoOps e && e.value() == EpollIoOps.NONE.value() ? DISARMED : ops;
    }

    /** Netty's handler, with the interest changes made on its loop held until it waits. */
    private static final class Handler implements IoHandler {
        private final IoHandler netty;
        private final ThreadAwareExecutor loop;
        private final Predicate<EpollIoHandle> connections;
        /** Registrations with a change or a removal not yet applied; touched only on the loop. */
        private final ArrayList<Registration> changed = new ArrayList<>();
        /** The registrations in {@link #changed} waiting to be removed, by descriptor number. */
        private final IntObjectMap<Registration> removals = new IntObjectHashMap<>();

        Handler(IoHandler netty, ThreadAwareExecutor loop, Predicate<EpollIoHandle> connections) {
            this.netty = netty;
            this.loop = loop;
            this.connections = connections;
        }

        @Override
        public void initialize() {
            netty.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            applyChanges();
            return netty.run(context);
        }

        /**
         * Applies what changed since the last wait. Applying can run channel code (a refused
         * change closes its channel, a connection's first read is tried), which may change
         * other channels' interest meanwhile: those changes join the list and are applied in
         * the same pass.
         */
        private void applyChanges() {
            if (changed.isEmpty()) {
                return;
            }
            for (int i = 0; i < changed.size(); i++) {
                changed.get(i).apply();
            }
            changed.clear();
        }

        void note(Registration r) {
            changed.add(r);
        }

        @Override
        public void prepareToDestroy() {
            for (Registration r : removals.values().toArray(new Registration[0])) {
                r.remove();
            }
            changed.clear();
            netty.prepareToDestroy();
        }

        @Override
        public void destroy() {
            netty.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            // Netty's handler refuses any handle that is not an EpollIoHandle.
            EpollIoHandle channel = (EpollIoHandle) handle;
            Registration stale = removals.get(channel.fd().intValue());
            if (stale != null) {
                // The number of a descriptor closed in this turn came back at once: Netty
                // knows registrations by number, so the old one goes first.
                stale.remove();
            }
            Registration r = new Registration(this, channel, connections.test(channel));
            r.netty = netty.register(r);
            return r;
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

    /**
     * One channel's registration: the interest it is given is kept in {@link #wanted} and
     * applied by {@link Handler#applyChanges} (given from another thread, it is handed to the
     * loop first, so changes are applied in the order they were made). It is also the handle
     * Netty's handler sees, so that events stop at it once it is cancelled.
     */
    private static final class Registration implements IoRegistration, EpollIoHandle {
        private final Handler owner;
        private final EpollIoHandle channel;
        private final int fd;
        /** A TCP connection of this process: the last two changes of the class comment apply. */
        private final boolean connection;
        /** Netty's registration of this handle; set once, just after registering. */
        IoRegistration netty;
        /** The interest to apply before the next wait, or null; only on the loop. */
        private IoOps wanted;
        /** In the owner's list of changes; only on the loop. */
        private boolean listed;
        /** Netty has been given an interest, so the descriptor is in the epoll set. */
        private boolean added;
        /** A connection's first read has been tried. */
        private boolean readTried;
        /** Cancelled, with Netty's removal left for the next wait. */
        private boolean removalPending;
        private volatile boolean cancelled;

        Registration(Handler owner, EpollIoHandle channel, boolean connection) {
            this.owner = owner;
            this.channel = channel;
            this.fd = channel.fd().intValue();
            this.connection = connection;
        }

        @Override
        public <T> T attachment() {
            return netty.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            if (cancelled) {
                return -1;
            }
            IoOps epoll = replace(ops);
            if (!owner.loop.isExecutorThread(Thread.currentThread())) {
                owner.loop.execute(() -> submit(ops));
            } else {
                list();
                wanted = epoll;
            }
            return ((EpollIoOps) epoll).value();
        }

        private void list() {
            if (!listed) {
                listed = true;
                owner.note(this);
            }
        }

        /**
         * Applies the removal or the interest last set. A descriptor closed meanwhile is
         * skipped (its number may already belong to another socket); a change the kernel
         * refuses closes the channel, as Netty's own failing change would have.
         */
        void apply() {
            listed = false;
            IoOps ops = wanted;
            wanted = null;
            if (removalPending) {
                remove();
            }
            if (ops == null || cancelled || !channel.fd().isOpen()) {
                return;
            }
            if (connection && !added) {
                if (!readTried && wantsOnlyInput(ops)) {
                    readTried = true;
                    channel.handle(this, INPUT_READY);
                    if (listed || cancelled) {
                        return; // the read changed the interest or closed: applied later in this pass
                    }
                }
                if (((EpollIoOps) ops).value() == EPOLLONESHOT) {
                    return; // nothing to disarm while it is not in the epoll set
                }
            }
            try {
                netty.submit(ops);
                added = true;
            } catch (RuntimeException e) {
                // Rare and not the peer's doing (no memory, or the user's epoll watch limit):
                // worth a line in the log, since the channel's session ends without one.
                log.warn("epoll: cannot watch descriptor {}, closing it: {}", fd, e.getMessage());
                try {
                    channel.close();
                } catch (Exception closing) {
                    log.debug("epoll: closing descriptor {}: {}", fd, closing.toString());
                }
            }
        }

        private static boolean wantsOnlyInput(IoOps ops) {
            EpollIoOps e = (EpollIoOps) ops;
            return e.contains(EpollIoOps.EPOLLIN) && !e.contains(EpollIoOps.EPOLLOUT);
        }

        /** Netty's removal, left until now; with the socket closed it needs no system call. */
        void remove() {
            if (removalPending) {
                removalPending = false;
                owner.removals.remove(fd);
                netty.cancel();
            }
        }

        @Override
        public boolean isValid() {
            return !cancelled && netty.isValid();
        }

        @Override
        public boolean cancel() {
            if (cancelled) {
                return false;
            }
            cancelled = true;
            if (!connection || !owner.loop.isExecutorThread(Thread.currentThread())) {
                return netty.cancel();
            }
            // Netty closes the socket right after this: removing it then costs no epoll_ctl.
            removalPending = true;
            owner.removals.put(fd, this);
            list();
            return true;
        }

        // The handle Netty's handler sees.

        @Override
        public FileDescriptor fd() {
            return channel.fd();
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            if (!cancelled) {
                channel.handle(this, event);
            }
        }

        @Override
        public void registered() {
            channel.registered();
        }

        @Override
        public void unregistered() {
            channel.unregistered();
        }

        @Override
        public void close() throws Exception {
            channel.close();
        }
    }
}
