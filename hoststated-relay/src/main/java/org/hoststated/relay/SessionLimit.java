package org.hoststated.relay;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.hoststated.core.log.ThrottledCount;

/**
 * The bound on open sessions of the whole relay engine, of every relay and protocol: a
 * session holds two descriptors, so without a bound a flood of clients would run the
 * engine out of them and stall every relay (the original capped each relay process at 1,024
 * sessions). The default fits the process's descriptor limit: half of what is left of it
 * once the descriptors the engine has open at start (the JVM's jars and files, its
 * channels: about 55), its relays' listening sockets as they come ({@link #listenersTake}) and
 * a reserve for what it opens later (worker loops, clients accepted over the bound before they
 * are closed) are taken away; and it fits the heap
 * ({@link #HEAP_PER_SESSION} each), which a large descriptor limit outgrew; the system property
 * {@value #PROPERTY} sets another. A client over the bound is accepted
 * and closed at once (an HTTP relay's gets a 503 first), and each relay warns of the clients it
 * turned away at most once a minute, with their count. Shared by every worker loop. The
 * engine's instance is made before the chroot, where the descriptor limit can still be read.
 *
 * <p>Each relay that accepts is kept a share of the bound, {@code max / (4 * relays)} and at
 * least one: a relay past its share takes a session only while the others' unused shares, a
 * quarter of the bound at most, still fit under the bound (with more relays than a quarter of
 * the bound, shares of 0 kept nothing, and one relay's flood shut out 149 others: probe AJ). One relay's flood of idle clients (a TCP relay holds them for its {@code timeout}, 600 s
 * by default) then fills at most the bound less the others' shares (at least three quarters of
 * it), and every other relay still serves (probe D: 11,000 idle clients of one relay turned
 * every client of every relay away). With one relay the share changes nothing. A relay that stops accepting (a reload's old
 * generation, the stop's drain) gives its share back; its open sessions still count.
 *
 * <p>The HTTP relays' idle backend connections live on the descriptors the open sessions leave
 * ({@link IdleDescriptors}, {@link #idle}): each admitted session makes the pools give back
 * connections when sessions and pools together are over the budget, so the bound's sessions
 * always find their two descriptors.
 */
public final class SessionLimit {
    public static final String PROPERTY = "hoststated.relay.maxSessions";
    private static final Logger log = LoggerFactory.getLogger(SessionLimit.class);
    /**
     * Descriptors kept for what the engine opens after it counted its open ones: up to 32
     * worker loops of a few descriptors each (twice over while a reload changes
     * {@code prefork}), listeners, clients accepted over the bound until they are closed.
     */
    static final int RESERVE = 128;
    private static final long FALLBACK_FDS = 16_384;
    private static final SessionLimit ENGINE = forEngine();

    /** The bound as set or as the descriptors at start allow. */
    private final int configured;
    /**
     * The descriptor limit and what was open when it was read, or -1: then the listening
     * sockets that come later ({@link #listenersTake}) lower the bound.
     */
    private final long fdLimit;
    private final long openAtStart;
    /** The bound now: {@link #configured}, less what the listening sockets take. Under this object's lock. */
    private volatile int max;
    /** Open sessions of every relay; written under this object's lock. */
    private volatile int open;
    private final IdleDescriptors idle;
    /** The bound last logged. Under this object's lock. */
    private int lastSaid;
    /** A log of the bound is scheduled ({@link #sayBound}). Under this object's lock. */
    private boolean sayPending;
    /** How long after a change of the bound it is logged: changes within it are one line. */
    static final long SAY_BOUND_AFTER_MS = 1000;
    /** The relays that accept, each kept {@link #share} sessions. Under this object's lock. */
    private final List<Guard> accepting = new ArrayList<>();
    /** Sessions kept for each accepting relay. Under this object's lock. */
    private int share;
    /** The accepting relays' shares that their open sessions leave unused. Under this object's lock. */
    private int unusedShares;

    /** At most {@code max} sessions, whose descriptors leave none to idle backend connections at the bound. */
    public SessionLimit(int max) {
        this(max, 2L * Math.max(1, max));
    }

    /**
     * At most {@code max} sessions; {@code descriptors} for sessions (two each) and idle backend
     * connections (one each) together ({@link IdleDescriptors}).
     */
    public SessionLimit(int max, long descriptors) {
        this(max, descriptors, -1, 0);
    }

    /**
     * At most {@code max} sessions, lowered as listening sockets come: {@code fdLimit} open
     * files of which {@code openAtStart} were open before any ({@link #listenersTake}).
     */
    SessionLimit(int max, long descriptors, long fdLimit, long openAtStart) {
        this.configured = Math.max(1, max);
        this.max = configured;
        this.lastSaid = configured;
        this.fdLimit = fdLimit;
        this.openAtStart = openAtStart;
        this.idle = new IdleDescriptors(descriptors, () -> open);
    }

    private static SessionLimit forEngine() {
        long fdLimit = descriptorLimit();
        long openFds = openDescriptors();
        // A bound set by the property stays as set.
        return new SessionLimit(defaultLimit(fdLimit, openFds), descriptorBudget(fdLimit, openFds),
                propertySet() > 0 ? -1 : fdLimit, openFds);
    }

    /**
     * An engine's bound and its sessions' descriptors, once {@code listeners} listening sockets
     * take one each: counted at start, when no listener had come yet, the bound ignored them, so
     * 3,000 relays at a limit of 3,300 open files claimed 1,522 sessions and ran out after 83
     * (probe T).
     */
    static int[] listenersTake(long fdLimit, long openAtStart, int configured, int listeners) {
        long open = openAtStart + listeners;
        return new int[] {Math.min(configured, forDescriptors(fdLimit, open)),
            (int) Math.min(Integer.MAX_VALUE, descriptorBudget(fdLimit, open))};
    }

    /** The engine's bound, shared by all its relays. */
    public static SessionLimit engine() {
        return ENGINE;
    }

    public int max() {
        return max;
    }

    /**
     * Heap kept for each session at the bound. About 9,400 HTTP keep-alive sessions (each with
     * its backend connection) filled the engine's 96 MiB heap, about 10 KiB each: the engine
     * then spent its time collecting garbage until the parent's watchdog killed it, and every
     * session with it. 16 KiB leaves room for the rest of the heap and heavier sessions.
     */
    static final long HEAP_PER_SESSION = 16 * 1024;

    /** The idle backend connections' share of the descriptors: what sessions leave of them. */
    public IdleDescriptors idle() {
        return idle;
    }

    /** What sets a bound of {@code bound} sessions, and how to raise it, for a warning. */
    String boundCause(int bound) {
        if (fdLimit < 0) {
            return "a bound set by " + PROPERTY;
        }
        if (bound < forHeap(Runtime.getRuntime().maxMemory())) {
            return "a bound set by the limit of open files, " + fdLimit
                    + ": raise it with LimitNOFILE= or ulimit -n";
        }
        return "a bound set by the relay engine's heap, one session per " + HEAP_PER_SESSION / 1024 + " KiB";
    }

    /** The bound {@value #PROPERTY} sets, or 0 when it sets none. */
    private static int propertySet() {
        return Integer.getInteger(PROPERTY, 0);
    }

    static int defaultLimit(long fdLimit, long openFds) {
        int set = propertySet();
        if (set > 0) {
            return set;
        }
        return bound(fdLimit, openFds, Runtime.getRuntime().maxMemory());
    }

    /**
     * The descriptors sessions and idle backend connections share, for a descriptor limit
     * {@code limit} of which {@code open} are in use already: at least what the bound's
     * sessions need ({@link #forDescriptors}).
     */
    static long descriptorBudget(long limit, long open) {
        return Math.max(2L * forDescriptors(limit, open), limit - open - RESERVE);
    }

    /** The lower of the descriptors' bound ({@link #forDescriptors}) and the heap's ({@link #forHeap}). */
    static int bound(long fdLimit, long openFds, long maxHeap) {
        return Math.min(forDescriptors(fdLimit, openFds), forHeap(maxHeap));
    }

    /** The bound for a heap of {@code maxHeap} bytes. */
    static int forHeap(long maxHeap) {
        return (int) Math.max(16, Math.min(Integer.MAX_VALUE, maxHeap / HEAP_PER_SESSION));
    }

    /** The bound for a descriptor limit {@code limit} of which {@code open} are in use already. */
    static int forDescriptors(long limit, long open) {
        return (int) Math.max(16, Math.min(Integer.MAX_VALUE, (limit - open - RESERVE) / 2));
    }

    /**
     * How many descriptors this process has open, from {@code /proc/self/fd} (readable before
     * the chroot only); 64 when it cannot tell.
     */
    static long openDescriptors() {
        long n = org.hoststated.core.posix.Fds.openCount();
        return n < 0 ? 64 : n;
    }

    /**
     * This process's soft RLIMIT_NOFILE (the JVM raises it to the hard limit at start), from
     * {@code /proc/self/limits}: readable before the chroot only, so the engine asks then
     * (RelayEngine.acquirePrivileged).
     */
    static long descriptorLimit() {
        long limit = org.hoststated.core.posix.Fds.openFileLimit();
        if (limit < 0) {
            log.warn("cannot read the descriptor limit; assuming {}", FALLBACK_FDS);
            return FALLBACK_FDS;
        }
        return Math.min(limit, Integer.MAX_VALUE);
    }

    /**
     * A session pipeline that answers a client over the bound in its protocol (an HTTP 503)
     * before the close; other pipelines' clients are just closed.
     */
    public interface OverLimit {
        /** How {@link #refuse} turned a client away, for the warning: {@link #ANSWERED} or {@link #CLOSED}. */
        String ANSWERED = "answered 503 and closed";
        String CLOSED = "closed at once";

        void refuse(Channel client);

        /** How this pipeline turns clients away. */
        default String refusal() {
            return ANSWERED;
        }
    }

    /**
     * A session pipeline the guard builds in place, in the guard's own initializer round:
     * adding a second {@code ChannelInitializer} would cost every connection another handler
     * context and pipeline change.
     */
    public interface SessionPipeline {
        void init(Channel client);
    }

    /**
     * The child handler of a relay's listener: {@code sessionPipeline} for a session within
     * the bound, else a refusal ({@link OverLimit}) or a close. The relay is kept its share from
     * now until {@link Guard#retire}.
     */
    public Guard guard(String relayName, ChannelHandler sessionPipeline) {
        Guard g = new Guard(relayName, sessionPipeline);
        synchronized (this) {
            accepting.add(g);
            shareAnew();
        }
        return g;
    }

    /** Why a client is turned away. */
    private enum Refusal {
        /** The engine's bound is reached. */
        BOUND,
        /** The relay is past its share, and what is left of the bound is the other relays'. */
        OTHERS_SHARES
    }

    /** Counts a session of {@code g} in, or says why not. */
    private synchronized Refusal admit(Guard g) {
        if (open >= max) {
            g.boundAtRefusal = max;
            return Refusal.BOUND;
        }
        if (g.open >= share && open + Math.min(unusedShares - g.unusedShare(), max / 4) >= max) {
            g.openAtRefusal = g.open;
            g.boundAtRefusal = max;
            return Refusal.OTHERS_SHARES;
        }
        unusedShares -= g.unusedShare();
        g.open++;
        unusedShares += g.unusedShare();
        open++;
        return null;
    }

    private synchronized void hold(Guard g) {
        unusedShares -= g.unusedShare();
        g.open++;
        unusedShares += g.unusedShare();
        open++;
    }

    private synchronized void release(Guard g) {
        unusedShares -= g.unusedShare();
        g.open--;
        unusedShares += g.unusedShare();
        open--;
    }

    private synchronized void retire(Guard g) {
        if (accepting.remove(g)) {
            // Else its sessions' ends went on adding the share it no longer has to the unused ones.
            g.accepting = false;
            shareAnew();
        }
    }

    /**
     * Under the lock: the bound left by the relays' listening sockets (one each, those of a
     * reload's two generations both counted while they overlap), the share for the relays that
     * accept now, and what of it is unused.
     */
    private void shareAnew() {
        if (fdLimit >= 0) {
            int[] fit = listenersTake(fdLimit, openAtStart, configured, accepting.size());
            max = fit[0];
            if (worthSaying() && !sayPending) {
                // Once the relays of a start or reload are all in (one at a time, each lowering
                // it): a line per relay was too many, a line per tenth left a stale figure.
                sayPending = true;
                GlobalEventExecutor.INSTANCE.schedule(this::sayBound, SAY_BOUND_AFTER_MS, TimeUnit.MILLISECONDS);
            }
            idle.budget(fit[1]);
        }
        share = accepting.isEmpty() ? 0 : Math.max(1, max / (4 * accepting.size()));
        unusedShares = 0;
        for (Guard g : accepting) {
            g.accepting = true;
            unusedShares += g.unusedShare();
        }
    }

    /** Whether the bound moved more than a hundredth from the one last logged (a relay's own socket does not). */
    private boolean worthSaying() {
        return Math.abs(max - lastSaid) > lastSaid / 100;
    }

    /** Logs the bound the listening sockets leave, when it changed since it was last logged. */
    private synchronized void sayBound() {
        sayPending = false;
        if (worthSaying() && !accepting.isEmpty()) { // none at a stop's drain: nothing to say
            lastSaid = max;
            log.info("at most {} sessions: the {} listening sockets take descriptors too", max, accepting.size());
        }
    }

    /** A relay's admission of its clients: its child handler. */
    @ChannelHandler.Sharable
    public final class Guard extends ChannelInitializer<Channel> {
        private final String relayName;
        private final ChannelHandler sessionPipeline;
        /** The clients this relay turned away since its last warning, at the bound and for the others' shares. */
        private final ThrottledCount refusedAtBound = new ThrottledCount();
        private final ThrottledCount refusedForShares = new ThrottledCount();
        /** This relay's open sessions. Under the limit's lock. */
        private int open;
        /**
         * Its open sessions when it last turned a client away for the others' shares, which
         * its warning gives: said up to a minute later, the count of that moment had nothing
         * to do with the refusals (probe Z: "0 sessions open" after 3,439 refused). Under the
         * limit's lock.
         */
        private int openAtRefusal;
        /**
         * The bound when it last turned a client away: a stop or a reload that removes relays
         * gives their listeners' descriptors back before a held warning is said (probe AJ: "384
         * sessions open, the engine's limit" of a bound of 309). Under the limit's lock.
         */
        private int boundAtRefusal;
        /** Whether it accepts, so is kept a share. Under the limit's lock. */
        private boolean accepting;

        private Guard(String relayName, ChannelHandler sessionPipeline) {
            this.relayName = relayName;
            this.sessionPipeline = sessionPipeline;
        }

        /** Under the limit's lock: what of its share its open sessions leave unused. */
        private int unusedShare() {
            return accepting ? Math.max(0, share - open) : 0;
        }

        /** The relay accepts no more: its share goes to the others; its open sessions still count. */
        public void retire() {
            SessionLimit.this.retire(this);
        }

        /**
         * Keeps a session's place for {@code ch} until it closes: a server side that outlives
         * its client while it takes what was queued for it (up to the relay's timeout). It
         * holds a descriptor and a kernel buffer: given back at the client's close, the place
         * let a new client in meanwhile, and clients that repeat the pattern could run the
         * engine out of descriptors, which the bound is there to prevent (review CG). Never
         * refused: it takes the place its client gives back a task later
         * ({@link #releaseAfterCloseListeners}).
         */
        public void hold(Channel ch) {
            SessionLimit.this.hold(this);
            ch.closeFuture().addListener(f -> release(this));
        }

        @Override
        protected void initChannel(Channel ch) {
            Refusal refusal = admit(this);
            if (refusal != null) {
                (refusal == Refusal.BOUND ? refusedAtBound : refusedForShares).add(ch.eventLoop(),
                        n -> warnRefused(refusal, n));
                if (sessionPipeline instanceof OverLimit o) {
                    o.refuse(ch);
                } else {
                    ch.close();
                }
                return;
            }
            ch.closeFuture().addListener(f -> releaseAfterCloseListeners(ch));
            idle.makeRoom(ch.eventLoop());
            if (sessionPipeline instanceof SessionPipeline p) {
                p.init(ch);
            } else {
                ch.pipeline().addLast(sessionPipeline);
            }
        }

        /**
         * Gives a closed client's place back once the other listeners of its close ran: a
         * server side that outlives it takes a place in one of them ({@link #hold}), so the
         * place passes with no gap between, where another loop's client was admitted over the
         * bound (review CN); for that moment the session counts twice, which refuses rather
         * than admits.
         */
        private void releaseAfterCloseListeners(Channel ch) {
            try {
                ch.eventLoop().execute(() -> release(this));
            } catch (RejectedExecutionException stopping) {
                release(this);
            }
        }

        private void warnRefused(Refusal why, long n) {
            String clients = n + (n == 1 ? " client " : " clients ")
                    + (sessionPipeline instanceof OverLimit o ? o.refusal() : OverLimit.CLOSED);
            int mine;
            int bound;
            synchronized (SessionLimit.this) {
                mine = openAtRefusal;
                bound = boundAtRefusal;
            }
            // What the bound comes from, and how to raise it (probe BA: a sentence hard to
            // parse, with neither).
            if (why == Refusal.BOUND) {
                log.warn("relay {}: {} since the last such line: all {} sessions the relay engine may hold were open ({})",
                        relayName, clients, bound, boundCause(bound));
            } else {
                log.warn("relay {}: {} since the last such line: it had {} sessions, all that the relay engine's {} leave it "
                        + "beside the other relays' shares ({})", relayName, clients, mine, bound, boundCause(bound));
            }
        }
    }
}
