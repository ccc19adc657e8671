package org.hoststated.hce.check;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.msg.HostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plain (not TLS) {@link Probe}: the lean path of HCE-SCALE.md. A bare
 * {@link io.netty.channel.unix.Socket} registered on the engine's epoll loop as an
 * {@link EpollIoHandle}, without a Channel or pipeline, which halves the system calls and the
 * CPU per check against {@code Bootstrap.connect}. Runs in hce; every method runs on the loop,
 * which owns the one scratch buffer all attempts read into.
 *
 * <p>A busy loop may serve a socket late. Before calling a check a timeout, an attempt asks the
 * kernel: a connect that completed counts (for {@code check tcp}), and whatever is waiting to be
 * read is read and judged. Only what truly did not arrive by the deadline is a timeout.
 */
public final class PlainProbe implements Probe {
    private static final Logger log = LoggerFactory.getLogger(PlainProbe.class);
    private final IoEventLoop loop;
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(16 * 1024);

    public PlainProbe(EventLoop loop) {
        Epoll.ensureAvailability();
        this.loop = (IoEventLoop) loop;
    }

    @Override
    public boolean tls() {
        return false;
    }

    @Override
    public void probe(CheckTarget target, long deadlineNanos, byte[] request, ResponseValidator validator,
            Consumer<CheckResult> done) {
        new Attempt(target, request, validator, done).begin(deadlineNanos);
    }

    private enum Phase { CONNECT, WRITE, READ }

    /** One probe; reports once, then releases its registration, socket and buffer. */
    private final class Attempt implements EpollIoHandle {
        private final CheckTarget target;
        private final byte[] request;
        private final ResponseValidator validator;
        private final Consumer<CheckResult> done;
        private Phase phase = Phase.CONNECT;
        private CheckSocket socket;
        private IoRegistration registration;
        private ScheduledFuture<?> timer;
        private ByteBuf received;
        private int written;
        private EngineLag lag;
        private boolean finished;
        private final TrickleHold trickle = new TrickleHold();
        private ScheduledFuture<?> resume;

        Attempt(CheckTarget target, byte[] request, ResponseValidator validator, Consumer<CheckResult> done) {
            this.target = target;
            this.request = request;
            this.validator = validator;
            this.done = done;
        }

        void begin(long deadlineNanos) {
            lag = new EngineLag(deadlineNanos);
            try {
                socket = CheckSocket.open(target.address());
            } catch (IOException e) {
                finish(CheckSocket.overload(CheckSocket.errno(e)) ? CheckResult.OVERLOAD
                        : CheckResult.down(HostError.TCP_SOCKET_ERROR));
                return;
            }
            boolean connected;
            try {
                connected = socket.connect(new InetSocketAddress(target.address(), target.port()));
            } catch (IOException e) {
                finish(connectFailed(CheckSocket.errno(e)));
                return;
            }
            if (connected && validator == null) {
                finish(CheckResult.up(HostError.TCP_CONNECT_OK));
                return;
            }
            timer = loop.schedule(this::deadline, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            Future<IoRegistration> f = loop.register(this);
            if (f.isDone()) {
                registered(f, connected);
            } else {
                f.addListener(x -> registered(f, connected));
            }
        }

        private void registered(Future<IoRegistration> f, boolean connected) {
            if (!f.isSuccess()) {
                finish(CheckResult.down(HostError.TCP_SOCKET_ERROR));
                return;
            }
            registration = f.getNow();
            if (finished) {
                registration.cancel();
                return;
            }
            if (connected) {
                connected();
            } else {
                registration.submit(EpollIoOps.EPOLLOUT);
            }
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            if (finished) {
                return;
            }
            switch (phase) {
                case CONNECT -> connectEvent();
                case WRITE -> writeRequest();
                case READ -> readResponse(false);
            }
        }

        private void connectEvent() {
            int r = socket.connectResult();
            if (r > 0) {
                finish(connectFailed(r));
            } else if (r == 0) {
                connected();
            }
            // else: not our event yet (spurious wake-up); wait for the real one
        }

        /** Connected: done for check tcp, else send the request (if any) and read. */
        private void connected() {
            if (validator == null) {
                finish(CheckResult.up(HostError.TCP_CONNECT_OK));
                return;
            }
            received = Unpooled.buffer(256);
            if (request != null && request.length > 0) {
                phase = Phase.WRITE;
                writeRequest();
            } else {
                startReading();
            }
        }

        private void writeRequest() {
            try {
                while (written < request.length) {
                    scratch.clear();
                    int len = Math.min(scratch.capacity(), request.length - written);
                    scratch.put(request, written, len);
                    int n = socket.write(scratch, 0, len);
                    if (n <= 0) {
                        registration.submit(EpollIoOps.EPOLLOUT); // the send buffer is full: wait
                        return;
                    }
                    written += n;
                }
            } catch (IOException e) {
                log.debug("{}: write: {}", target, e.getMessage());
                int err = CheckSocket.errno(e);
                // Reset before the request went out: the host closed without an answer.
                finish(CheckResult.down(err == CheckSocket.ECONNRESET || err == CheckSocket.EPIPE ? HostError.NO_ANSWER
                        : HostError.TCP_WRITE_FAIL));
                return;
            }
            startReading();
        }

        private void startReading() {
            phase = Phase.READ;
            registration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP));
        }

        /**
         * Reads what is waiting; judges after each read and at EOF. A read that fills less than
         * the buffer took all there was, so unless asked to {@code drain} (at the deadline) it
         * leaves the next read to the next event: the socket is registered level-triggered, so
         * data or an EOF that came meanwhile is reported again. That saves a read that would only
         * say EAGAIN, a third of the system calls per byte of a host that trickles its answer.
         */
        private void readResponse(boolean drain) {
            try {
                while (!finished) {
                    scratch.clear();
                    int n = socket.read(scratch, 0, scratch.capacity());
                    if (n == 0) {
                        return; // nothing more for now
                    }
                    if (n < 0) {
                        finish(received.isReadable() ? validator.onEof(received) : CheckResult.down(HostError.NO_ANSWER));
                        return;
                    }
                    if (received.readableBytes() + n > validator.maxBytes()) {
                        finish(CheckResult.down(HostError.RESPONSE_TOO_LARGE));
                        return;
                    }
                    scratch.limit(n);
                    received.writeBytes(scratch);
                    CheckResult r = validator.onRead(received);
                    if (r != null) {
                        finish(r);
                    } else if (n < scratch.capacity() && !drain) {
                        if (trickle.holdAfter(n)) {
                            hold();
                        }
                        return;
                    }
                }
            } catch (IOException e) {
                // A reset after the answer still leaves the answer to judge. A reset before it is
                // the close without an answer that a FIN would have been: which of the two a host
                // that closes at once sends depends on whether our request reached it first.
                log.debug("{}: read: {}", target, org.hoststated.core.posix.SystemError.text(e));
                finish(received.isReadable() ? validator.onEof(received) : CheckResult.down(HostError.NO_ANSWER));
            }
        }

        /**
         * A host that trickles its answer ({@link TrickleHold}): its data waits in the socket
         * and is read in one go. The host's close is still seen at once (EPOLLRDHUP), and the
         * deadline reads all that waits before judging.
         */
        private void hold() {
            registration.submit(EpollIoOps.EPOLLRDHUP);
            resume = loop.schedule(() -> {
                if (!finished) {
                    registration.submit(EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLRDHUP));
                }
            }, TrickleHold.HOLD_NANOS, TimeUnit.NANOSECONDS);
        }

        private void deadline() {
            // The loop may be late in serving this socket: ask the kernel before calling it a timeout.
            boolean unserved = false;
            if (phase == Phase.CONNECT) {
                int r = socket.connectResult();
                if (r > 0) {
                    finish(connectFailed(r));
                    return;
                }
                unserved = r == 0;
                if (unserved) {
                    connected();
                }
            }
            if (phase == Phase.READ) {
                readResponse(true);
            }
            if (finished) {
                return;
            }
            if (lag.grantAgain(unserved)) {
                timer = loop.schedule(this::deadline, lag.timeoutNanos(), TimeUnit.NANOSECONDS);
                return;
            }
            if (phase == Phase.READ && validator != null) {
                finish(validator.readTimeout(HostError.TCP_READ_TIMEOUT));
                return;
            }
            finish(CheckResult.down(switch (phase) {
                case CONNECT -> HostError.TCP_CONNECT_TIMEOUT;
                case WRITE -> HostError.TCP_WRITE_TIMEOUT;
                case READ -> HostError.TCP_READ_TIMEOUT;
            }));
        }

        private CheckResult connectFailed(int errno) {
            log.debug("{}: connect: {}", target, CheckSocket.describe(errno));
            if (errno == CheckSocket.ECONNRESET) {
                // Reset after the handshake: the port accepted the connection, which is all tcp
                // asks; a check that reads an answer got none.
                return validator == null ? CheckResult.up(HostError.TCP_CONNECT_OK) : CheckResult.down(HostError.NO_ANSWER);
            }
            return CheckSocket.overload(errno) ? CheckResult.OVERLOAD : CheckResult.down(CheckSocket.connectFailure(errno));
        }

        private void finish(CheckResult r) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            if (resume != null) {
                resume.cancel(false);
            }
            if (registration != null) {
                registration.cancel(); // before close: the loop maps registrations by fd number
            }
            if (socket != null) {
                socket.closeQuietly();
            }
            if (received != null) {
                received.release();
            }
            done.accept(r);
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void close() {
            finish(CheckResult.unknown(HostError.ABORT));
        }
    }
}
