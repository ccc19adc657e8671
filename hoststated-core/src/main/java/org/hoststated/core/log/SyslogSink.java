package org.hoststated.core.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.hoststated.core.posix.UnixDatagramSocket;
import org.slf4j.event.Level;

/**
 * Sends RFC 3164 datagrams "&lt;PRI&gt;Mmm dd hh:mm:ss ident[pid]: message" (glibc syslog(3)'s
 * format, facility daemon) over an AF_UNIX datagram socket connected at start-up, so that it
 * keeps working in a chroot without /dev/log.
 *
 * <p>Never blocks: what the syslog daemon does not take now (its queue is full: ten datagrams
 * by default on Linux) is held, the latest {@value #MAX_HELD} messages with their time, and sent
 * in order before the next message, by a timer {@value #FLUSH_MILLIS} ms after it was held (a
 * daemon thread, started with the first message held, so that the last lines before a quiet
 * spell are not kept back), or at {@link #flush} before an exit; older ones are counted,
 * and a line says how many were lost. A syslog daemon that restarts makes a new socket, and the
 * old connection refuses every send: the sink connects to the path again at once (the parent,
 * outside any chroot) and sends the message there. Where that fails (an engine, whose chroot
 * hides /dev/log; no syslog daemon at all) it asks the {@link #onLost} hook for a socket, which
 * the parent passes ({@link LogConfig#adoptSyslog}), holds meanwhile, and tries again at most
 * every {@value #RETRY_SECONDS} s, at a message or the timer. Writes are serialised by a lock
 * held only for non-blocking send(2)s or a connect(2); the hook must not log.
 */
final class SyslogSink implements LogSink {
    private static final int FACILITY_DAEMON = 3 << 3;
    private static final int MAX_MESSAGE = 8192;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    /** How often a lost syslog is tried again, at most, while messages come. */
    static final long RETRY_SECONDS = 10;
    /** Messages held while no syslog daemon is connected; older ones are counted as lost. */
    static final int MAX_HELD = 100;
    /** How long after a message was held the timer tries to send it, if nothing else has. */
    static final long FLUSH_MILLIS = 1000;

    private final String tag;
    private final Path path;
    private final ZoneId zone = ZoneId.systemDefault(); // resolved now, before chroot hides tzdb
    private UnixDatagramSocket socket; // guarded by this; null: none connected
    /** Datagrams waiting for a syslog daemon, oldest first; guarded by this. */
    private final ArrayDeque<byte[]> held = new ArrayDeque<>();
    private long dropped;  // guarded by this: messages let go from a full hold, not yet said
    private long lastTry = System.nanoTime(); // guarded by this
    private Runnable onLost; // guarded by this
    private boolean closed; // guarded by this
    /** Sends the hold when no message comes to do it; null until a first message is held. */
    private ScheduledExecutorService timer; // guarded by this
    private boolean flushDue; // guarded by this: the timer has a flush to run

    private SyslogSink(String ident, Path path, UnixDatagramSocket socket) {
        this.tag = ident + "[" + ProcessHandle.current().pid() + "]: ";
        this.path = path;
        this.socket = socket;
        ZonedDateTime.now(zone).format(STAMP); // loads the zone rules now
    }

    /** Connects to {@code path}; without a socket there, messages wait for one (see above). */
    static SyslogSink open(String ident, Path path) {
        return new SyslogSink(ident, path, connect(path));
    }

    /** A socket connected to the syslog daemon at {@code path}; null when none listens there. */
    static UnixDatagramSocket connect(Path path) {
        try {
            return UnixDatagramSocket.connect(path);
        } catch (IOException | RuntimeException e) {
            // no syslog daemon: as the brief says, fall back to nothing rather than fail start-up
            return null;
        }
    }

    /** Sets what asks for a new socket once the syslog daemon is lost (an engine asks its parent). */
    synchronized void onLost(Runnable ask) {
        onLost = ask;
    }

    /** Takes {@code s}, a socket connected to the syslog daemon, in place of the lost one. */
    synchronized void adopt(UnixDatagramSocket s) {
        if (closed || socket != null) {
            closeQuietly(s);
            return;
        }
        socket = s;
        sendHeld();
    }

    @Override
    public synchronized void write(Level level, String message, Throwable throwable) {
        if (closed) {
            return;
        }
        byte[] datagram = datagram(level, message);
        if (socket == null) {
            retry();
        }
        if (socket != null && !sendHeld() && socket == null) {
            retry(); // the daemon went away under what was held: the new one gets it
            if (socket != null) {
                sendHeld();
            }
        }
        if (socket != null && held.isEmpty()) {
            send(datagram);
        } else {
            hold(datagram);
        }
    }

    /** Connects again, at most every {@link #RETRY_SECONDS}; else asks the hook, if any. */
    private void retry() {
        long now = System.nanoTime();
        if (now - lastTry < TimeUnit.SECONDS.toNanos(RETRY_SECONDS)) {
            return;
        }
        lastTry = now;
        socket = connect(path);
        if (socket == null && onLost != null) {
            onLost.run();
        }
    }

    /** Says how many were let go, then sends what is held: false if the daemon did not take it all. */
    private boolean sendHeld() {
        if (dropped > 0) {
            byte[] lost = datagram(Level.WARN, "syslog: " + dropped + " messages lost");
            if (!trySend(lost)) {
                return socket != null && held.isEmpty(); // a full queue: the count waits, new ones may go
            }
            dropped = 0;
        }
        while (!held.isEmpty()) {
            if (!trySend(held.peekFirst())) {
                return false;
            }
            held.pollFirst();
        }
        return true;
    }

    /** Sends {@code datagram}; held when the queue is full or the daemon gone (then connected again). */
    private void send(byte[] datagram) {
        if (trySend(datagram)) {
            return;
        }
        if (socket == null) {
            retry(); // it went away: the new one is tried at once
        }
        if (socket == null || !trySend(datagram)) {
            hold(datagram); // never blocked on: what the daemon does not take now waits here
        }
    }

    /**
     * One non-blocking send: false if the queue is full (the socket stays) or the daemon is
     * gone (the socket is closed and dropped).
     */
    private boolean trySend(byte[] datagram) {
        if (socket == null) {
            return false;
        }
        try {
            return socket.trySend(datagram);
        } catch (IOException e) {
            // The daemon closed its socket (it restarted): the next retry() connects at once.
            closeQuietly(socket);
            socket = null;
            lastTry = System.nanoTime() - TimeUnit.SECONDS.toNanos(RETRY_SECONDS);
            return false;
        }
    }

    private void hold(byte[] datagram) {
        if (held.size() == MAX_HELD) {
            held.pollFirst();
            dropped++;
        }
        held.addLast(datagram);
        flushLater();
    }

    /** Has the timer flush once, {@link #FLUSH_MILLIS} from now, unless it is due already. */
    private void flushLater() {
        if (flushDue) {
            return;
        }
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "syslog-hold");
                t.setDaemon(true); // never keeps a process from exiting
                return t;
            });
        }
        flushDue = true;
        timer.schedule(this::timedFlush, FLUSH_MILLIS, TimeUnit.MILLISECONDS);
    }

    private synchronized void timedFlush() {
        flushDue = false;
        flush();
        if (!closed && (!held.isEmpty() || dropped > 0)) {
            flushLater(); // the daemon is still behind, or gone: try again later
        }
    }

    private byte[] datagram(Level level, String message) {
        String text = "<" + (FACILITY_DAEMON | Severity.of(level)) + ">"
                + ZonedDateTime.now(zone).format(STAMP) + " " + tag + message;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return bytes.length > MAX_MESSAGE ? Arrays.copyOf(bytes, MAX_MESSAGE) : bytes;
    }

    /** Sends what is held, as far as the syslog daemon takes it: before an exit, for one. */
    @Override
    public synchronized void flush() {
        if (closed || held.isEmpty() && dropped == 0) {
            return;
        }
        if (socket == null) {
            retry();
        }
        if (socket != null) {
            sendHeld();
        }
    }

    @Override
    public synchronized void close() {
        // a second close could close whatever reused the fd number
        if (closed) {
            return;
        }
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
        }
        closeQuietly(socket);
        socket = null;
        held.clear();
    }

    static void closeQuietly(UnixDatagramSocket s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException e) {
            // only EBADF is possible: there is nowhere to log it
        }
    }
}
