package org.hoststated.core.proc;

import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.concurrent.Executor;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Netty's epoll I/O handler with three changes: one works around a defect of Netty 4.2, the
 * others save system calls.
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
 * <p><b>A closing channel is not removed from the set.</b> Netty deregisters a closing channel
 * just before it closes the descriptor, so it removes the descriptor with EPOLL_CTL_DEL, which
 * the close does anyway: one system call for every connection a relay accepts. Here
 * a cancellation made on the loop is handed to Netty only before the loop waits or registers
 * another channel; by then a closed descriptor has left the set with its close, and Netty skips
 * the removal (it still removes a descriptor that stays open). Until then the channel's events
 * of the current turn are dropped, as Netty drops events of descriptors it no longer knows.
 * Only a connection's socket is held so: a close takes a descriptor out of the set only with
 * the last descriptor of its socket, and a listener or a datagram socket may have come from
 * the parent, which keeps its own (the relay's listeners, the DNS relay's socket). Held, its
 * entry stayed in the set after the close, and a reload's new descriptor for the same socket,
 * received under the same number, could not be added (EEXIST): the new listener was closed
 * and, after a few reloads on epoll, no relay answered.
 *
 * <p><b>A late joiner is read before it joins the set, and may stay out.</b> A connection whose
 * handle is a {@link LateJoiner} (the relay's accepted connections on epoll) is read once when
 * it first wants to read, before it is added: a client's request has usually arrived by the
 * time its connection is accepted. If it then wants to hear only of a hang-up (its reading is
 * off) and its owner lets it ({@link LateJoiner#mayStayOut}), it is not added at all, as HAProxy
 * polls only what would block: an HTTP relay's {@code Connection: close} client, whose request
 * is read and whose answer comes from the server, costs no {@code epoll_ctl} (its addition was
 * about 5 % of the relay's CPU per such request on this VM, with the removal its close made).
 * It joins when it wants to read or write and could not at once.
 *
 * <p><b>What a late joiner's first read defers runs before the loop polls.</b> That read is
 * made while the loop applies interest changes, with no batch of events in hand, so a task it
 * leaves for "after the events in hand" ({@link #afterEventsInHand}; the HTTP relay's vetting of
 * a pooled server connection) can run at once after the pass. As a task it made Netty poll once
 * more without waiting ({@code epoll_wait} with no timeout) before running it: 0.6 of a system
 * call per {@code Connection: close} request.
 */
public final class EpollLoops {
    /** EPOLLONESHOT of sys/epoll.h: after one event the descriptor is disarmed until modified. */
    static final int EPOLLONESHOT = 1 << 30;
    private static final Logger log = LoggerFactory.getLogger(EpollLoops.class);
    private static final EpollIoOps DISARMED = EpollIoOps.valueOf(EPOLLONESHOT);
    /** What a late joiner's first read is tried as: the event epoll would report. */
    private static final EpollIoEvent INPUT_READY = () -> EpollIoOps.EPOLLIN;
    /** The events that make a descriptor join the set whatever its owner says. */
    private static final int READ_OR_WRITE = EpollIoOps.EPOLLIN.value() | EpollIoOps.EPOLLOUT.value();

    /**
     * The I/O handle of a connection that is read once before it joins the epoll set, and that
     * stays out of it while it wants only a hang-up reported and {@link #mayStayOut} says it
     * can do without (a reset meanwhile is then seen at its next read or write).
     */
    public interface LateJoiner extends EpollIoHandle {
        /** Whether the connection may stay out of the epoll set while it does not read. */
        boolean mayStayOut();

        /** The connection has just joined the epoll set (once); on its loop. */
        void joined();
    }

    /** The handler of the loop running on this thread, if it is one of these. */
    private static final FastThreadLocal<Handler> CURRENT = new FastThreadLocal<>();

    private EpollLoops() {
    }

    /**
     * Runs {@code task} on {@code loop} once the I/O events the loop has in hand are handled: as
     * a task (Netty runs tasks after a batch of events), or, when the loop is applying interest
     * changes (a late joiner's first read), where no batch is in hand, right after that pass and
     * before the loop polls again. Called on {@code loop} or not, for any kind of loop.
     */
    public static void afterEventsInHand(Executor loop, Runnable task) {
        Handler h = CURRENT.getIfExists();
        if (h != null && h.applying && h.loop == loop) {
            h.afterPass.add(task);
        } else {
            loop.execute(task);
        }
    }

    /**
     * Use instead of {@link EpollIoHandler#newFactory()}; its loops close their channels at
     * shutdown ({@link ShutdownCloses}).
     */
    public static IoHandlerFactory newFactory() {
        return ShutdownCloses.wrap(wrap(EpollIoHandler.newFactory(), EpollLoops::closeLeavesTheSet));
    }

    /**
     * {@code netty}'s handlers with the changes above; tests give a handler that records.
     * {@code closeLeavesTheSet} tells the handles whose cancellation may be held.
     */
    static IoHandlerFactory wrap(IoHandlerFactory netty, Predicate<EpollIoHandle> closeLeavesTheSet) {
        return executor -> new Handler(netty.newHandler(executor), executor, closeLeavesTheSet);
    }

    /** What is submitted instead of {@code ops}. */
    static IoOps replace(IoOps ops) {
        return ops instanceof EpollIoOps e && e.value() == EpollIoOps.NONE.value() ? DISARMED : ops;
    }

    /** Netty's handler, with the interest changes made on its loop held until it waits. */
    private static final class Handler extends ForwardingIoHandler {
        private final ThreadAwareExecutor loop;
        /** Registrations with a change not yet applied; touched only on the loop. */
        private final ArrayList<Registration> changed = new ArrayList<>();
        /** Registrations cancelled on the loop and not yet handed to Netty; only on the loop. */
        private final ArrayList<Registration> retired = new ArrayList<>();
        /** What the changes applied in this pass left to run after it; only on the loop. */
        private final ArrayDeque<Runnable> afterPass = new ArrayDeque<>();
        /** Whether the loop is applying changes; only on the loop. */
        private boolean applying;

        private final Predicate<EpollIoHandle> closeLeavesTheSet;

        Handler(IoHandler netty, ThreadAwareExecutor loop, Predicate<EpollIoHandle> closeLeavesTheSet) {
            super(netty);
            this.loop = loop;
            this.closeLeavesTheSet = closeLeavesTheSet;
        }

        @Override
        public void initialize() {
            // Netty initializes a handler on its loop's thread.
            CURRENT.set(this);
            netty.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            applyChanges();
            return netty.run(context);
        }

        /**
         * Applies what changed since the last wait. A refused change closes its channel, whose
         * handlers may change other channels' interest meanwhile: those changes join the list
         * and are applied in the same pass, as are those of what the late joiners' reads left
         * to run after it ({@link #afterEventsInHand}), which runs in the pass too.
         */
        private void applyChanges() {
            retire();
            if (changed.isEmpty()) {
                return;
            }
            applying = true;
            try {
                int i = 0;
                for (Runnable task; ; ) {
                    for (; i < changed.size(); i++) {
                        changed.get(i).apply();
                    }
                    if ((task = afterPass.poll()) == null) {
                        break;
                    }
                    runSafely(task);
                }
            } finally {
                applying = false;
                changed.clear();
                // Left by a pass that failed: tasks as they would have been.
                for (Runnable task; (task = afterPass.poll()) != null; ) {
                    loop.execute(task);
                }
            }
        }

        /** Runs a task as Netty's loop runs its tasks: what it throws is logged, not raised. */
        private static void runSafely(Runnable task) {
            try {
                task.run();
            } catch (Throwable t) {
                log.warn("epoll: a task left after a late joiner's read failed", t);
            }
        }

        /**
         * Hands the cancellations held since the last wait to Netty, which forgets their
         * descriptors and removes from the epoll set those still open.
         */
        private void retire() {
            for (int i = 0; i < retired.size(); i++) {
                retired.get(i).netty.cancel();
            }
            retired.clear();
        }

        @Override
        public void prepareToDestroy() {
            retire();
            changed.clear();
            netty.prepareToDestroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            // The new descriptor may have the number of one closed in this turn: Netty must
            // have forgotten that one first.
            retire();
            if (!(handle instanceof EpollIoHandle channel)) {
                // Netty's handler refuses it with its own message.
                return netty.register(handle);
            }
            Registration registration = new Registration(this, channel, closeLeavesTheSet.test(channel));
            registration.netty = netty.register(new Guard(registration));
            return registration;
        }
    }

    /**
     * One channel's registration: the interest it is given is kept in {@link #wanted} and
     * applied by {@link Handler#applyChanges} (given from another thread, it is handed to the
     * loop first, so changes are applied in the order they were made).
     */
    private static final class Registration implements IoRegistration {
        private final Handler owner;
        private final EpollIoHandle handle;
        /** Netty's registration of {@link #handle} (through a {@link Guard}); set once. */
        private IoRegistration netty;
        /** The interest to apply before the next wait, or null; only on the loop. */
        private IoOps wanted;
        private volatile boolean cancelled;

        /** Whether a cancellation may wait for the next wait: see {@link #closeLeavesTheSet}. */
        private final boolean holdCancel;
        /** {@link #handle} if it is a late joiner, else null. */
        private final LateJoiner late;
        /** Netty has been given an interest, so the descriptor is in the epoll set; only on the loop. */
        private boolean added;
        /** A late joiner's first read has been tried; only on the loop. */
        private boolean readTried;

        Registration(Handler owner, EpollIoHandle handle, boolean holdCancel) {
            this.owner = owner;
            this.handle = handle;
            this.holdCancel = holdCancel;
            this.late = handle instanceof LateJoiner l ? l : null;
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
                if (wanted == null) {
                    owner.changed.add(this);
                }
                wanted = epoll;
            }
            return ((EpollIoOps) epoll).value();
        }

        /**
         * Applies the interest last set. A descriptor closed meanwhile is skipped (its number
         * may already belong to another socket); a change the kernel refuses closes the
         * channel, as Netty's own failing change would have.
         */
        void apply() {
            IoOps ops = wanted;
            wanted = null;
            if (ops == null || cancelled || !handle.fd().isOpen()) {
                return;
            }
            if (late != null && !added) {
                int events = ((EpollIoOps) ops).value();
                if (!readTried && (events & EpollIoOps.EPOLLIN.value()) != 0) {
                    readTried = true;
                    late.handle(netty, INPUT_READY);
                    if (wanted != null || cancelled) {
                        // The read changed the interest (applied later in this pass) or closed.
                        return;
                    }
                }
                if ((events & READ_OR_WRITE) == 0 && late.mayStayOut()) {
                    return;
                }
            }
            try {
                netty.submit(ops);
                if (late != null && !added) {
                    late.joined();
                }
                added = true;
            } catch (RuntimeException e) {
                // Rare and not the peer's doing (no memory, or the user's epoll watch limit):
                // worth a line in the log, since the channel's session ends without one.
                log.warn("epoll: cannot watch descriptor {}, closing it: {}", handle.fd().intValue(), e.getMessage());
                try {
                    handle.close();
                } catch (Exception closing) {
                    log.debug("epoll: closing descriptor {}: {}", handle.fd().intValue(), closing.toString());
                }
            }
        }

        @Override
        public boolean isValid() {
            return !cancelled && netty.isValid();
        }

        /** On the loop, Netty hears of it before the loop next waits ({@link Handler#retire}). */
        @Override
        public boolean cancel() {
            if (!owner.loop.isExecutorThread(Thread.currentThread())) {
                cancelled = true;
                return netty.cancel();
            }
            if (cancelled) {
                return false;
            }
            cancelled = true;
            if (!holdCancel) {
                // Still open (Netty deregisters before it closes): removed from the set now.
                return netty.cancel();
            }
            owner.retired.add(this);
            return true;
        }
    }

    /**
     * Whether closing {@code handle}'s descriptor surely takes it out of the epoll set: true
     * for the socket of a connection (Netty's stream channels), which no other descriptor
     * shares. A listener or a datagram socket may share its socket with another process's
     * descriptor (the parent keeps the relays' listening sockets).
     */
    static boolean closeLeavesTheSet(EpollIoHandle handle) {
        return OF_A_STREAM_CHANNEL.get(handle.getClass());
    }

    /**
     * Whether a handle class is a stream channel's (its unsafe, an inner class of the channel),
     * found once per class: {@link Class#getEnclosingClass} asks the VM afresh on every call,
     * and every connection registers.
     */
    private static final ClassValue<Boolean> OF_A_STREAM_CHANNEL = new ClassValue<>() {
        @Override
        protected Boolean computeValue(Class<?> handle) {
            Class<?> channel = handle.getEnclosingClass();
            return channel != null && AbstractEpollStreamChannel.class.isAssignableFrom(channel);
        }
    };

    /**
     * What Netty's handler holds instead of the channel: it passes the channel its events
     * unless the channel's registration was cancelled in this turn (the descriptor may be
     * closed, its number another socket's).
     */
    private static final class Guard implements EpollIoHandle {
        private final Registration registration;

        Guard(Registration registration) {
            this.registration = registration;
        }

        @Override
        public FileDescriptor fd() {
            return registration.handle.fd();
        }

        @Override
        public void handle(IoRegistration netty, IoEvent event) {
            if (!registration.cancelled) {
                registration.handle.handle(netty, event);
            }
        }

        @Override
        public void registered() {
            registration.handle.registered();
        }

        @Override
        public void unregistered() {
            registration.handle.unregistered();
        }

        @Override
        public void close() throws Exception {
            registration.handle.close();
        }
    }
}
