package org.hoststated.hce.check;

import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.hoststated.hce.TestLoop;

/** Runs one check on a test loop and waits (bounded) for its single result. */
final class CheckRunner {
    private CheckRunner() {
    }

    static CheckResult run(TestLoop loop, Check check, InetAddress addr, int port, int timeoutMs) {
        return run(loop, check, addr.getHostAddress(), addr, port, timeoutMs);
    }

    /** As {@link #run(TestLoop, Check, InetAddress, int, int)}, for a host configured by {@code name}. */
    static CheckResult run(TestLoop loop, Check check, String name, InetAddress addr, int port, int timeoutMs) {
        CompletableFuture<CheckResult> f = new CompletableFuture<>();
        loop.run(() -> {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            check.start(new CheckTarget(1, name, addr, port), deadline, r -> {
                if (!loop.loop().inEventLoop() || !f.complete(r)) {
                    f.completeExceptionally(new AssertionError("reported off the loop or twice"));
                }
            });
        });
        return f.orTimeout(Duration.ofMillis(timeoutMs).plusSeconds(5).toMillis(), TimeUnit.MILLISECONDS).join();
    }

    static CheckResult run(TestLoop loop, Check check, int port, int timeoutMs) {
        return run(loop, check, InetAddress.getLoopbackAddress(), port, timeoutMs);
    }
}
