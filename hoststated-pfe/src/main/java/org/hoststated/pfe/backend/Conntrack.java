package org.hoststated.pfe.backend;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.hoststated.core.posix.Errno;
import org.hoststated.core.posix.NetlinkSocket;

/**
 * The kernel's connection tracking table through ctnetlink, on a netlink socket opened for
 * one job and closed after it: no {@code conntrack} program needed. Runs on the
 * {@code l3-writer} thread only.
 */
class Conntrack {
    /** How long the kernel may take to answer one datagram. */
    private static final int TIMEOUT_MS = 5000;
    /** Delete requests sent in one datagram; their acknowledgements fit the socket's buffer. */
    private static final int BATCH = 64;
    private static final int ENOENT = 2;

    private final byte[] buf = new byte[256 * 1024];
    private int seq = (int) (System.nanoTime() & 0x7fffffff);

    /**
     * The entries of every family that {@code keep} accepts. Filtered as they arrive: the table
     * may hold a million entries, more than pfe's heap could keep.
     *
     * @throws L3Exception also once {@code stopping}, checked before each datagram
     */
    List<ConntrackEntry> list(Predicate<ConntrackEntry> keep, BooleanSupplier stopping) throws L3Exception {
        try (NetlinkSocket s = open()) {
            int dumpSeq = ++seq;
            NetlinkMessages.Writer w = ConntrackMessages.dumpRequest(dumpSeq);
            s.send(w.array(), w.length());
            List<ConntrackEntry> out = new ArrayList<>();
            while (true) {
                checkNotStopping(stopping);
                for (NetlinkMessages.Message m : NetlinkMessages.messages(buf, s.receive(buf))) {
                    if (m.seq() != dumpSeq) {
                        continue;
                    }
                    if (m.type() == NetlinkMessages.NLMSG_DONE) {
                        return out;
                    }
                    if (m.type() == NetlinkMessages.NLMSG_ERROR) {
                        throw new L3Exception("conntrack list: " + Errno.strerror(NetlinkMessages.error(m)));
                    }
                    if (m.type() == ConntrackMessages.IPCTNL_MSG_CT_NEW) {
                        ConntrackEntry e = ConntrackMessages.parseEntry(m);
                        if (keep.test(e)) {
                            out.add(e);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new L3Exception("conntrack list: " + e.getMessage());
        }
    }

    /**
     * Deletes {@code entries}, each only if it is still the same entry (its id).
     *
     * @return how many the kernel deleted (an entry that ended meanwhile is not counted)
     * @throws L3Exception when the kernel refused a delete for another reason than that, or
     *         once {@code stopping}, checked before each datagram
     */
    int delete(List<ConntrackEntry> entries, BooleanSupplier stopping) throws L3Exception {
        int deleted = 0;
        try (NetlinkSocket s = open()) {
            for (int i = 0; i < entries.size(); i += BATCH) {
                checkNotStopping(stopping);
                deleted += deleteBatch(s, entries.subList(i, Math.min(entries.size(), i + BATCH)));
            }
        } catch (IOException e) {
            throw new L3Exception("conntrack delete: " + e.getMessage());
        }
        return deleted;
    }

    private int deleteBatch(NetlinkSocket s, List<ConntrackEntry> batch) throws IOException, L3Exception {
        int first = seq + 1;
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(batch.size() * ConntrackMessages.DELETE_MAX);
        for (ConntrackEntry e : batch) {
            ConntrackMessages.deleteRequest(w, e, ++seq);
        }
        s.send(w.array(), w.length());
        int acked = 0;
        int deleted = 0;
        int refused = 0;
        while (acked < batch.size()) {
            for (NetlinkMessages.Message m : NetlinkMessages.messages(buf, s.receive(buf))) {
                if (m.type() != NetlinkMessages.NLMSG_ERROR || m.seq() - first < 0 || m.seq() - first >= batch.size()) {
                    continue;
                }
                acked++;
                int errno = NetlinkMessages.error(m);
                if (errno == 0) {
                    deleted++;
                } else if (errno != ENOENT && refused == 0) {
                    refused = errno;
                }
            }
        }
        if (refused != 0) {
            throw new L3Exception("conntrack delete: " + Errno.strerror(refused));
        }
        return deleted;
    }

    /**
     * The backend is closed (pfe exits): a listing or deleting of thousands of entries under
     * way ends here, or it would go on cutting flows after pfe's "exiting" and hold up the stop.
     */
    private static void checkNotStopping(BooleanSupplier stopping) throws L3Exception {
        if (stopping.getAsBoolean()) {
            throw new L3Exception("the layer-3 backend stops");
        }
    }

    private static NetlinkSocket open() throws IOException {
        return NetlinkSocket.open(NetlinkSocket.NETLINK_NETFILTER, TIMEOUT_MS);
    }
}
