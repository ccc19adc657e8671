package org.hoststated.hce.check;

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
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.hoststated.core.msg.HostError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code check tcp}: a plain TCP connect (relayd's check_tcp.c without send/expect). Runs in hce
 * on the engine's epoll event loop. This is the lean path of HCE-SCALE.md: a bare
 * {@link io.netty.channel.unix.Socket} registered as an {@link EpollIoHandle}, without a
 * Channel or pipeline, which halves the cost per check against {@code Bootstrap.connect}.
 */
public final class TcpCheck implements Check {
    private static final Logger log = LoggerFactory.getLogger(TcpCheck.class);
    private final IoEventLoop loop;

    public TcpCheck(EventLoop loop) {
        Epoll.ensureAvailability();
        this.loop = (IoEventLoop) loop;
    }

    @Override
    public String kind() {
        return "tcp";
    }

    @Override
    public void start(CheckTarget target, long deadlineNanos, Consumer<CheckResult> done) {
        new Attempt(done).begin(target, deadlineNanos);
    }

    /** One connect attempt; reports once, then releases its socket and registration. */
    private final class Attempt implements EpollIoHandle {
        private final Consumer<CheckResult> done;
        private CheckTarget target;
        private CheckSocket socket;
        private IoRegistration registration;
        private ScheduledFuture<?> timer;
        private boolean finished;

        Attempt(Consumer<CheckResult> done) {
            this.done = done;
        }

        void begin(CheckTarget target, long deadlineNanos) {
            this.target = target;
            try {
                socket = CheckSocket.open(target.address());
            } catch (IOException e) {
                finish(CheckSocket.overload(CheckSocket.errno(e)) ? CheckResult.OVERLOAD
                        : CheckResult.down(HostError.TCP_SOCKET_ERROR));
                return;
            }
            try {
                if (socket.connect(new InetSocketAddress(target.address(), target.port()))) {
                    finish(CheckResult.up(HostError.TCP_CONNECT_OK));
                    return;
                }
            } catch (IOException e) {
                finish(connectFailed(CheckSocket.errno(e)));
                return;
            }
            timer = loop.schedule(this::deadline, deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
            Future<IoRegistration> f = loop.register(this);
            if (f.isDone()) {
                registered(f);
            } else {
                f.addListener(x -> registered(f));
            }
        }

        private void registered(Future<IoRegistration> f) {
            if (!f.isSuccess()) {
                finish(CheckResult.down(HostError.TCP_SOCKET_ERROR));
                return;
            }
            registration = f.getNow();
            if (finished) {
                registration.cancel();
                return;
            }
            registration.submit(EpollIoOps.EPOLLOUT);
        }

        @Override
        public void handle(IoRegistration reg, IoEvent event) {
            int err;
            try {
                err = socket.getSoError();
            } catch (IOException e) {
                err = CheckSocket.errno(e);
            }
            if (err == 0 && !socket.connectedNow()) {
                return; // not our event yet (spurious wake-up); wait for the real one
            }
            finish(err == 0 ? CheckResult.up(HostError.TCP_CONNECT_OK) : connectFailed(err));
        }

        private void deadline() {
            // The loop may be late in serving this socket: ask the kernel before calling it a timeout.
            finish(socket.connectedNow() ? CheckResult.up(HostError.TCP_CONNECT_OK)
                    : CheckResult.down(HostError.TCP_CONNECT_TIMEOUT));
        }

        private CheckResult connectFailed(int errno) {
            log.debug("{}: connect: errno {}", target, errno);
            if (errno == CheckSocket.ECONNRESET) {
                // Reset after the handshake: the port accepted the connection, which is all tcp asks.
                return CheckResult.up(HostError.TCP_CONNECT_OK);
            }
            if (errno == CheckSocket.ECONNREFUSED) {
                return CheckResult.down(HostError.TCP_CONNECT_REFUSED);
            }
            return CheckSocket.overload(errno) ? CheckResult.OVERLOAD : CheckResult.down(HostError.TCP_CONNECT_FAIL);
        }

        private void finish(CheckResult r) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer != null) {
                timer.cancel(false);
            }
            if (registration != null) {
                registration.cancel(); // before close: the loop maps registrations by fd number
            }
            if (socket != null) {
                socket.closeQuietly();
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
