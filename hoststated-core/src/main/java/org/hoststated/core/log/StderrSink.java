package org.hoststated.core.log;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

import org.slf4j.event.Level;

/**
 * Writes "procname: message" lines to fd 2, for {@code hoststated -d} and hoststatectl. Each event
 * is one write(2) of the whole line, unbuffered, so lines of the four processes sharing a terminal
 * or pipe do not interleave (a pipe write up to 4096 bytes is atomic). In verbose mode a
 * throwable's stack trace follows its line.
 *
 * <p>A daemon's sink is {@linkplain #queued queued}: the lines go, in order, through a queue to a
 * writer thread of their own, so that a reader of stderr that stalls (journald behind, a
 * terminal paused, a pipe nobody drains) never stops the event loops that log. Before, every
 * relay stopped once the pipe was full, hoststatectl hung with the parent, and the watchdog
 * killed the relay engine when the reader came back (probe N). What does not fit in the queue
 * ({@value #MAX_QUEUED_BYTES} bytes) is dropped and counted, and a line says how many were
 * lost. {@link #flush} waits, at most {@value #FLUSH_WAIT_MILLIS} ms, for the queue to be
 * written before an exit. hoststatectl's sink writes directly: a command waits for its reader.
 */
final class StderrSink implements LogSink {
    /** What the queue holds at most; a line beyond it is dropped and counted. */
    static final int MAX_QUEUED_BYTES = 1 << 20;
    /** How long a flush waits for a stalled reader before the process goes on (to its exit). */
    static final long FLUSH_WAIT_MILLIS = 2000;

    private final String procName;
    private final OutputStream out;
    /**
     * Lines begin with their syslog priority, {@code <4>} for a warning (sd-daemon(3)): fd 2 is
     * systemd's journal stream, which reads the prefix as the line's priority. Without it every
     * line of {@code hoststated -d} under the shipped unit was filed as info, and
     * {@code journalctl -p warning} found no warning (probe AY).
     */
    private final boolean priorityPrefix;
    private final Object lock = new Object();
    private boolean broken; // guarded by lock
    /** Lines for the writer thread, oldest first; null when writes are direct. Guarded by lock. */
    private final ArrayDeque<byte[]> queue;
    private long queuedBytes; // guarded by lock
    private long dropped; // guarded by lock: lines dropped from a full queue, not yet said
    private boolean writing; // guarded by lock: the writer holds a line it took from the queue
    private boolean closed; // guarded by lock

    StderrSink(String procName) {
        this(procName, new FileOutputStream(FileDescriptor.err), false, false);
    }

    /** For tests: writes to {@code out}, which must be unbuffered like fd 2. */
    StderrSink(String procName, OutputStream out) {
        this(procName, out, false, false);
    }

    private StderrSink(String procName, OutputStream out, boolean queued, boolean priorityPrefix) {
        this.procName = procName;
        this.out = out;
        this.priorityPrefix = priorityPrefix;
        this.queue = queued ? new ArrayDeque<>() : null;
        if (queued) {
            Thread t = new Thread(this::drain, "stderr-writer");
            t.setDaemon(true); // never keeps a process from exiting: flush() is the wait for it
            t.start();
        }
    }

    /**
     * A daemon's sink: lines go to fd 2 through a queue and a writer thread (see above), with
     * their priority for an {@code engine} (whose fd 2 the parent reads) or the journal.
     */
    static StderrSink queued(String procName, boolean engine) {
        return new StderrSink(procName, new FileOutputStream(FileDescriptor.err), true,
                engine || JournalStream.isStderr(System.getenv("JOURNAL_STREAM")));
    }

    /** For tests: a queued sink writing to {@code out}, with or without priority prefixes. */
    static StderrSink queued(String procName, OutputStream out, boolean priorityPrefix) {
        return new StderrSink(procName, out, true, priorityPrefix);
    }

    /** For tests: a queued sink writing to {@code out}. */
    static StderrSink queued(String procName, OutputStream out) {
        return queued(procName, out, false);
    }

    @Override
    public void write(Level level, String message, Throwable throwable) {
        writeLine(level, procName, message, throwable);
    }

    @Override
    public void writeAs(String otherProcName, Level level, String message) {
        writeLine(level, otherProcName, message, null);
    }

    @Override
    public String priorityPrefix(Level level) {
        return priorityPrefix ? Severity.prefix(level) : "";
    }

    private void writeLine(Level level, String name, String message, Throwable throwable) {
        StringBuilder line = new StringBuilder(name.length() + message.length() + 6);
        if (priorityPrefix) {
            line.append(Severity.prefix(level));
        }
        line.append(name).append(": ").append(message).append('\n');
        if (throwable != null && LogConfig.isVerbose()) {
            StringWriter trace = new StringWriter();
            throwable.printStackTrace(new PrintWriter(trace));
            line.append(trace);
        }
        byte[] bytes = line.toString().getBytes(StandardCharsets.UTF_8);
        synchronized (lock) {
            if (broken || closed) {
                return;
            }
            if (queue == null) {
                writeNow(bytes);
                return;
            }
            if (queuedBytes + bytes.length > MAX_QUEUED_BYTES) {
                dropped++;
                return;
            }
            sayLost();
            enqueue(bytes);
        }
    }

    /** Writes {@code bytes} to fd 2 (under the lock, or on the writer thread); false once broken. */
    private boolean writeNow(byte[] bytes) {
        try {
            out.write(bytes);
            return true;
        } catch (IOException e) {
            // stderr is gone (closed terminal, EPIPE): there is nowhere left to report it
            synchronized (lock) {
                broken = true;
                if (queue != null) {
                    queue.clear();
                    queuedBytes = 0;
                }
                lock.notifyAll();
            }
            return false;
        }
    }

    /** Queues the count of lines dropped, if any, ahead of what comes next. */
    private void sayLost() {
        if (dropped > 0) {
            enqueue(((priorityPrefix ? Severity.prefix(Level.WARN) : "") + procName + ": stderr: " + dropped
                    + " messages lost\n").getBytes(StandardCharsets.UTF_8));
            dropped = 0;
        }
    }

    private void enqueue(byte[] bytes) {
        queue.addLast(bytes);
        queuedBytes += bytes.length;
        if (!writing) {
            lock.notifyAll(); // the writer waits for a line (a busy one finds it without a wake-up)
        }
    }

    /** The writer thread: writes the queue's lines in order, one write(2) each. */
    private void drain() {
        while (true) {
            byte[] next;
            synchronized (lock) {
                writing = false;
                if (queue.isEmpty() && !broken) {
                    sayLost(); // the reader caught up: say what it missed now, not at the next line
                }
                while (queue.isEmpty() && !broken && !closed) {
                    lock.notifyAll(); // a flush waiting for an empty queue
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (broken || queue.isEmpty()) {
                    lock.notifyAll();
                    return;
                }
                next = queue.pollFirst();
                queuedBytes -= next.length;
                writing = true;
            }
            if (!writeNow(next)) {
                return;
            }
        }
    }

    @Override
    public void flush() {
        if (queue == null) {
            return; // unbuffered: every write already reached the kernel
        }
        synchronized (lock) {
            if (!broken && !closed) {
                sayLost();
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FLUSH_WAIT_MILLIS);
            while ((!queue.isEmpty() || writing) && !broken) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return; // the reader stalls: exit rather than wait for it
                }
                try {
                    lock.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    @Override
    public void close() {
        // fd 2 belongs to the process, not to this sink; what is queued goes out first
        flush();
        synchronized (lock) {
            closed = true;
            lock.notifyAll();
        }
    }
}
