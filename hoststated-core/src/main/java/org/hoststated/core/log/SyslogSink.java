package org.hoststated.core.log;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;

import org.hoststated.core.posix.UnixDatagramSocket;
import org.slf4j.event.Level;

/**
 * Sends RFC 3164 datagrams "&lt;PRI&gt;Mmm dd hh:mm:ss ident[pid]: message" (glibc syslog(3)'s
 * format, facility daemon) over an AF_UNIX datagram socket connected once, at start-up, so that it
 * keeps working in a chroot without /dev/log.
 *
 * <p>Never blocks: a send that would block (the syslog daemon is behind) drops the message and
 * counts it; the next message that gets through is preceded by a line saying how many were lost.
 * If /dev/log was missing at start-up, or the daemon went away (it restarted and made a new
 * socket, which a chrooted process cannot reconnect to), messages are discarded silently.
 * Writes are serialised by a lock held only for one non-blocking send(2).
 */
final class SyslogSink implements LogSink {
    private static final int FACILITY_DAEMON = 3 << 3;
    private static final int MAX_MESSAGE = 8192;
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);

    private final String tag;
    private final UnixDatagramSocket socket; // null: no syslog
    private final ZoneId zone = ZoneId.systemDefault(); // resolved now, before chroot hides tzdb
    private long dropped;  // guarded by this
    private boolean gone;  // guarded by this; true: discard everything
    private boolean closed; // guarded by this

    private SyslogSink(String ident, UnixDatagramSocket socket) {
        this.tag = ident + "[" + ProcessHandle.current().pid() + "]: ";
        this.socket = socket;
        this.gone = socket == null;
        ZonedDateTime.now(zone).format(STAMP); // loads the zone rules now
    }

    /** Connects to {@code path}; without a socket there, the sink discards everything. */
    static SyslogSink open(String ident, Path path) {
        UnixDatagramSocket socket;
        try {
            socket = UnixDatagramSocket.connect(path);
        } catch (IOException | RuntimeException e) {
            // no syslog daemon: as the brief says, fall back to nothing rather than fail start-up
            socket = null;
        }
        return new SyslogSink(ident, socket);
    }

    @Override
    public synchronized void write(Level level, String message, Throwable throwable) {
        if (gone) {
            return;
        }
        if (dropped > 0 && send(Level.WARN, "syslog: " + dropped + " messages dropped")) {
            dropped = 0;
        }
        if (!send(level, message)) {
            dropped++;
        }
    }

    private boolean send(Level level, String message) {
        String text = "<" + (FACILITY_DAEMON | severity(level)) + ">"
                + ZonedDateTime.now(zone).format(STAMP) + " " + tag + message;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > MAX_MESSAGE) {
            bytes = Arrays.copyOf(bytes, MAX_MESSAGE);
        }
        try {
            return socket.trySend(bytes);
        } catch (IOException e) {
            // the daemon closed its socket; a chrooted process cannot reconnect, so stop trying
            gone = true;
            return false;
        }
    }

    /** RFC 3164 severities: err 3, warning 4, info 6, debug 7. */
    static int severity(Level level) {
        return switch (level) {
            case ERROR -> 3;
            case WARN -> 4;
            case INFO -> 6;
            case DEBUG, TRACE -> 7;
        };
    }

    @Override
    public void flush() {
        // datagrams leave at once
    }

    @Override
    public synchronized void close() {
        gone = true;
        // a second close could close whatever reused the fd number
        if (socket == null || closed) {
            return;
        }
        closed = true;
        try {
            socket.close();
        } catch (IOException e) {
            // only EBADF is possible, and the sink is being replaced: there is nowhere to log it
            dropped = 0;
        }
    }
}
