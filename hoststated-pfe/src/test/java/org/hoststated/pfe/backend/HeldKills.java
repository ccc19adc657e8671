package org.hoststated.pfe.backend;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * An nftables backend whose kills find their conntrack entries, then wait to delete them
 * until {@link #release}d: a test of another package closes the backend while a kill is under
 * way, as pfe's exit may come while thousands of entries are deleted.
 */
public final class HeldKills {
    /** Counted down when a kill has listed its entries and waits. */
    public final CountDownLatch held = new CountDownLatch(1);
    public final CountDownLatch release = new CountDownLatch(1);

    /** A backend of {@code table}, not started; make it on the namespace's thread. */
    public NftBackend backend(Nft nft, String table) {
        return new NftBackend(nft, table, false, new ConntrackStates(new Conntrack() {
            @Override
            int delete(List<ConntrackEntry> entries, BooleanSupplier stopping) throws L3Exception {
                held.countDown();
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return super.delete(entries, stopping);
            }
        }));
    }
}
