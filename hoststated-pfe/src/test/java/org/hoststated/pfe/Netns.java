package org.hoststated.pfe;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import jnr.ffi.LibraryLoader;
import org.hoststated.pfe.backend.CommandRunner;
import org.hoststated.pfe.backend.Nft;
import org.hoststated.pfe.backend.NftBackend;

/**
 * A thread that lives in a named network namespace ({@code ip netns add NAME}), so that a
 * test can run pfe's parts there in this JVM: a socket opened on it, and a thread started from
 * it (a backend's writer thread, which opens the conntrack netlink socket), belong to that
 * namespace. setns(2) moves the calling thread only; the rest of the JVM stays where it is.
 */
final class Netns implements AutoCloseable {
    /** libc's setns and what it needs; public, or jnr-ffi cannot implement it. */
    public interface Calls {
        int open(String path, int flags, int mode);

        int setns(int fd, int nstype);

        int close(int fd);
    }

    private static final CommandRunner RUNNER = CommandRunner.processes(10_000);
    private static final int O_RDONLY = 0;
    private static final int CLONE_NEWNET = 0x40000000;

    private final ExecutorService thread;
    private final String name;

    Netns(String name) throws Exception {
        this.name = name;
        Calls c = LibraryLoader.create(Calls.class).load("c");
        thread = Executors.newSingleThreadExecutor(r -> new Thread(r, "netns-" + name));
        run(() -> {
            int fd = c.open("/var/run/netns/" + name, O_RDONLY, 0);
            if (fd < 0) {
                throw new IllegalStateException("cannot open network namespace " + name);
            }
            try {
                if (c.setns(fd, CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("setns to " + name + " failed");
                }
            } finally {
                c.close(fd);
            }
            return null;
        });
    }

    /** Runs {@code job} on the namespace's thread and returns its result. */
    <T> T run(Callable<T> job) throws Exception {
        try {
            return thread.submit(job).get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception x ? x : e;
        }
    }

    /**
     * A new namespace {@code name} (an old one of that name is removed first) for the layer-3
     * tests: hosts 10.21.2.11 and .12 on its lo, and a veth pair {@code veth}0/1 with the
     * clients' 10.21.1.2 on it, out of which the virtual addresses 10.21.9.0/24 are routed (the
     * backend's nat output chain DNATs what the clients send there). Skips the test (root, nft
     * needed) where it cannot be made. {@link #close} removes it.
     */
    static Netns forL3(String name, String veth) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for network namespaces");
        sh("ip netns del " + name);
        assumeTrue(sh("ip netns add " + name).ok(), "cannot create a network namespace");
        for (String c : List.of("ip link set lo up", "ip link add " + veth + "0 type veth peer name " + veth + "1",
                "ip link set " + veth + "0 up", "ip link set " + veth + "1 up",
                "ip addr add 10.21.1.2/24 dev " + veth + "0", "ip addr add 10.21.2.11/32 dev lo",
                "ip addr add 10.21.2.12/32 dev lo", "ip route add 10.21.9.0/24 dev " + veth + "0")) {
            CommandRunner.Result r = sh("ip netns exec " + name + " " + c);
            assertTrue(r.ok(), c + ": " + r.why());
        }
        assumeTrue(sh("ip netns exec " + name + " nft add table ip probe").ok(), "nft is not usable");
        return new Netns(name);
    }

    /**
     * A started nftables backend of table {@code table} in this namespace: its writer thread
     * starts here (the conntrack socket it opens belongs to the namespace), and nft runs in it.
     */
    NftBackend startNftBackend(String table, boolean keep) throws Exception {
        return run(() -> {
            NftBackend b = new NftBackend(Nft.program(RUNNER, List.of("ip", "netns", "exec", name, "nft")), table, keep);
            b.start();
            return b;
        });
    }

    /** Runs {@code command} with sh, in this process's namespace. */
    static CommandRunner.Result sh(String command) throws Exception {
        return RUNNER.run(List.of("sh", "-c", command), "");
    }

    /** Stops the thread and removes the namespace. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            sh("ip netns del " + name);
        } catch (Exception e) {
            // Left behind; the next run's forL3 removes it first.
        }
    }
}
