package org.hoststated.pfe;

import static org.hoststated.pfe.PfeFixtures.host;
import static org.hoststated.pfe.PfeFixtures.report;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.hoststated.core.msg.HostState;
import org.hoststated.pfe.backend.CommandRunner;
import org.hoststated.pfe.backend.ConntrackProbe;
import org.hoststated.pfe.backend.HeldKills;
import org.hoststated.pfe.backend.L3Backend;
import org.hoststated.pfe.backend.L3Exception;
import org.hoststated.pfe.backend.Nft;
import org.hoststated.pfe.backend.NftBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * pfe exits while the flows of a host that just went down are still to be cut ({@code kill
 * states}), against the real kernel (root, nft and nf_conntrack_netlink needed; skipped
 * otherwise): the backends stopped with the daemon, and the host's check failed just before the
 * parent closed pfe's channel. pfe's exit closes its backend, which removes the redirections and
 * must do no more: the flow keeps its conntrack entry. Closing used to write what was pending and
 * cut the flows after it, or finish the cut under way, after pfe had logged "exiting"
 * (thousands of states per host in a daemon under load). The write of the state without the
 * host, or the cut itself, is held until the close has begun.
 */
class StopKillsNetnsTest {
    @RegisterExtension
    static final L3Namespace L3 = new L3Namespace("stop", "sp");
    private static final String NS = L3.name;
    private static final String TABLE = "hskstop";
    private static final String CONFIG = """
            l3 backend none
            table dns {
            \treal port 5353
            \tcheck tcp
            \thost 10.21.2.11
            \thost 10.21.2.12
            }
            service dns {
            \tvirtual host %s udp port 53
            \ttable dns
            \tkill states
            }
            """;

    @Test
    void closingWhileTheStateWithoutTheHostIsWrittenCutsNothing() throws Exception {
        HeldWrite nft = new HeldWrite(nft());
        exitWhileHeld("10.21.9.120", L3.netns().run(() -> new NftBackend(nft, TABLE, false)), nft::holdNext, nft.held,
                nft.release);
    }

    @Test
    void closingWhileTheFlowsAreCutEndsTheCut() throws Exception {
        HeldKills kills = new HeldKills();
        exitWhileHeld("10.21.9.121", L3.netns().run(() -> kills.backend(nft(), TABLE)), () -> { }, kills.held,
                kills.release);
    }

    /**
     * A flow to {@code vip} (a test's own: the entries of another's outlive it) sent to .12,
     * then .12 down with its kill applied, {@code held} until the backend is being closed (as
     * pfe's loop does at its exit: it waits in the writer's join), then {@code release}d: the
     * redirections go, the flow stays.
     */
    private static void exitWhileHeld(String vip, NftBackend backend, Runnable hold, CountDownLatch held,
            CountDownLatch release) throws Exception {
        PfeState s = PfeState.build(1, PfeFixtures.config(CONFIG.formatted(vip)), null);
        HostEntry failing = host(s, "dns", "10.21.2.12");
        report(s, host(s, "dns", "10.21.2.11"), HostState.DOWN);
        report(s, failing, HostState.UP);
        // The system's own NAT (a gateway's masquerade), which keeps connection tracking and NAT
        // running once the daemon's table is gone: without it the kernel drops the NAT entries
        // with the last NAT rule, cut or not (ReloadKillsNetnsTest).
        CommandRunner.Result system = Netns.sh("ip netns exec " + NS + " nft add table ip hspsystem '{ chain post { "
                + "type nat hook postrouting priority 100; oifname \"uplink0\" masquerade; }; }'");
        assertTrue(system.ok(), system.why());
        DatagramSocket client = null;
        try {
            backend.start();
            backend.apply(s.redirects(), List.of(), System.nanoTime());
            assertTrue(backend.awaitApplied(10_000));
            client = L3.netns().run(() -> sendOne(vip));
            String entry = flow(vip);
            assertTrue(entry != null && entry.endsWith(" 10.21.2.12"), "the flow goes to .12: " + entry);

            report(s, failing, HostState.DOWN);
            List<L3Backend.StateKill> kills = StateKills.down(s, failing);
            assertEquals(List.of("host 10.21.2.12 down"), kills.stream().map(L3Backend.StateKill::what).toList());
            hold.run();
            backend.apply(s.redirects(), StateKills.stillGone(kills, s.redirects()), System.nanoTime());
            assertTrue(held.await(10, TimeUnit.SECONDS), "held");
            Thread exit = new Thread(backend::closeAtStop, "pfe-exit");
            exit.start();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (exit.getState() != Thread.State.TIMED_WAITING && exit.isAlive()) {
                assertTrue(System.nanoTime() < end, "the close did not wait for the writer: " + exit.getState());
                Thread.sleep(5);
            }
            release.countDown();
            exit.join(20_000);
            assertFalse(exit.isAlive(), "closed");

            CommandRunner.Result left = Netns.sh("ip netns exec " + NS + " nft list table inet " + TABLE);
            assertFalse(left.stdout().contains(" dnat "), "the redirections are removed: " + left.stdout());
            assertEquals(entry, flow(vip), "the flow keeps its entry: closing the backend cut it");
        } finally {
            release.countDown();
            backend.close();
            if (client != null) {
                client.close();
            }
            Netns.sh("ip netns exec " + NS + " nft delete table ip hspsystem");
        }
    }

    private static Nft nft() {
        return Nft.program(CommandRunner.processes(10_000), List.of("ip", "netns", "exec", NS, "nft"));
    }

    /** One datagram from the client's 10.21.1.2 to {@code vip}; on the namespace's thread. */
    private static DatagramSocket sendOne(String vip) throws Exception {
        DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("10.21.1.2"), 0));
        c.connect(new InetSocketAddress(InetAddress.getByName(vip), 53));
        c.send(new DatagramPacket(new byte[] {'x'}, 1));
        return c;
    }

    /** The conntrack entry of the client's flow to {@code vip} ("ID HOST"), or null. */
    private static String flow(String vip) throws Exception {
        return L3.netns().run(ConntrackProbe::udp).get(vip + ":53");
    }

    /** nft whose next write of the table, once asked for, waits until released. */
    private static final class HeldWrite implements Nft {
        final CountDownLatch held = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final Nft nft;
        private final AtomicBoolean hold = new AtomicBoolean();

        HeldWrite(Nft nft) {
            this.nft = nft;
        }

        void holdNext() {
            hold.set(true);
        }

        @Override
        public CommandRunner.Result run(String script) throws L3Exception {
            // A write has the table's body; a listing and the removal have none.
            if (script.contains("{") && hold.compareAndSet(true, false)) {
                held.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return nft.run(script);
        }
    }
}
