package org.hoststated.hce;

import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.function.BooleanSupplier;
import org.hoststated.core.proc.EpollLoops;

/** One epoll event loop, as the engine has, for tests. */
public final class TestLoop implements AutoCloseable {
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollLoops.newFactory());
    private final EventLoop loop = group.next();

    public EventLoop loop() {
        return loop;
    }

    /** Runs {@code c} on the loop and returns its value. */
    public <T> T call(Callable<T> c) {
        try {
            return loop.submit(c).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    public void run(Runnable r) {
        call(() -> {
            r.run();
            return null;
        });
    }

    /** Polls {@code cond} on the loop until true or {@code limit} passes; bounded, not a timing test. */
    public boolean await(BooleanSupplier cond, Duration limit) {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            if (call(cond::getAsBoolean)) {
                return true;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return call(cond::getAsBoolean);
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
