package org.hoststated.pfe.backend;

import static org.hoststated.pfe.backend.Redirects.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * ctnetlink's messages as bytes: a listing's entries read back as written (the kernel's
 * layout: nested tuples, network byte order inside), delete requests carrying the tuple and
 * id, and malformed answers ending in an {@link L3Exception}, never another exception.
 */
class ConntrackMessagesTest {
    private static final ConntrackEntry V4 = new ConntrackEntry(
            new ConntrackEntry.Tuple(ip("10.21.1.2"), ip("10.21.9.100"), 6, 40000, 80),
            new ConntrackEntry.Tuple(ip("10.21.2.11"), ip("10.21.1.2"), 6, 8080, 40000), 0x80000001, 0, 8);
    private static final ConntrackEntry V6 = new ConntrackEntry(
            new ConntrackEntry.Tuple(ip("fd21::1:2"), ip("fd21::9:100"), 17, 53, 65535),
            new ConntrackEntry.Tuple(ip("fd21::2:11"), ip("fd21::1:2"), 17, 5353, 53), 7, 9, -1);

    private static List<NetlinkMessages.Message> listing(ConntrackEntry... entries) throws L3Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(4096);
        for (ConntrackEntry e : entries) {
            ConntrackMessages.entry(w, e, 42);
        }
        return NetlinkMessages.messages(w.array(), w.length());
    }

    @Test
    void entriesReadBackAsWritten() throws Exception {
        List<NetlinkMessages.Message> m = listing(V4, V6);
        assertEquals(2, m.size());
        assertEquals(ConntrackMessages.IPCTNL_MSG_CT_NEW, m.get(0).type());
        assertEquals(42, m.get(1).seq());
        assertEquals(V4, ConntrackMessages.parseEntry(m.get(0)));
        assertEquals(V6, ConntrackMessages.parseEntry(m.get(1)));
    }

    @Test
    void portsAreInNetworkOrderInsideNestedTuples() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(256);
        ConntrackMessages.entry(w, V4, 1);
        byte[] b = Arrays.copyOf(w.array(), w.length());
        // 40000 = 0x9c40, big-endian, right after its attribute header (len 6, type 2).
        assertTrue(indexOf(b, new byte[] {6, 0, 2, 0, (byte) 0x9c, 0x40}) > 0);
        // The tuple is flagged nested (NLA_F_NESTED), as the kernel and libnetfilter_conntrack write it.
        assertTrue(indexOf(b, new byte[] {1, (byte) 0x80}) > 0);
    }

    @Test
    void deleteRequestCarriesTheOriginalTupleAndTheId() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(ConntrackMessages.DELETE_MAX * 2);
        ConntrackMessages.deleteRequest(w, V4, 5);
        ConntrackMessages.deleteRequest(w, V6, 6);
        assertTrue(w.length() <= ConntrackMessages.DELETE_MAX * 2);
        List<NetlinkMessages.Message> m = NetlinkMessages.messages(w.array(), w.length());
        assertEquals(ConntrackMessages.IPCTNL_MSG_CT_DELETE, m.get(0).type());
        assertEquals(NetlinkMessages.NLM_F_REQUEST | NetlinkMessages.NLM_F_ACK, m.get(0).flags());
        assertEquals(ConntrackMessages.AF_INET, m.get(0).payload().get(0));
        assertEquals(ConntrackMessages.AF_INET6, m.get(1).payload().get(0));
        List<NetlinkMessages.Attribute> a = NetlinkMessages.attributes(m.get(0).payload().position(4));
        assertEquals(0x80000001L, NetlinkMessages.find(a, ConntrackMessages.CTA_ID).unsigned(4));
        assertEquals(null, NetlinkMessages.find(a, ConntrackMessages.CTA_TUPLE_REPLY));
        assertEquals(null, NetlinkMessages.find(a, ConntrackMessages.CTA_ZONE), "zone 0 is the default");
        List<NetlinkMessages.Attribute> a6 = NetlinkMessages.attributes(m.get(1).payload().position(4));
        assertEquals(9, NetlinkMessages.find(a6, ConntrackMessages.CTA_ZONE).unsigned(2));
    }

    @Test
    void anEntryWithoutItsReplyTupleIsMalformed() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(256);
        ConntrackMessages.deleteRequest(w, V4, 1);
        NetlinkMessages.Message m = NetlinkMessages.messages(w.array(), w.length()).get(0);
        L3Exception e = assertThrows(L3Exception.class, () -> ConntrackMessages.parseEntry(m));
        assertEquals("malformed conntrack entry: no reply tuple", e.getMessage());
    }

    @Test
    void aMessageLongerThanTheDatagramIsMalformed() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(256);
        ConntrackMessages.entry(w, V4, 1);
        L3Exception e = assertThrows(L3Exception.class, () -> NetlinkMessages.messages(w.array(), w.length() - 8));
        assertTrue(e.getMessage().startsWith("malformed netlink answer: a message of"), e.getMessage());
    }

    /** Every cut and every flipped byte of a real listing is an entry, or an L3Exception. */
    @Test
    void truncatedOrCorruptedAnswersNeverThrowAnythingElse() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(4096);
        ConntrackMessages.entry(w, V4, 1);
        ConntrackMessages.entry(w, V6, 1);
        byte[] good = Arrays.copyOf(w.array(), w.length());
        Random r = new Random(1);
        for (int i = 0; i < 20_000; i++) {
            byte[] b = good.clone();
            int len = i < good.length ? i : good.length;
            if (i >= good.length) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            }
            try {
                for (NetlinkMessages.Message m : NetlinkMessages.messages(b, len)) {
                    ConntrackMessages.parseEntry(m);
                }
            } catch (L3Exception expected) {
                assertFalse(expected.getMessage().isEmpty());
            }
        }
    }

    @Test
    void errorMessagesGiveTheErrno() throws Exception {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(64);
        w.begin(NetlinkMessages.NLMSG_ERROR, 0, 3);
        java.nio.ByteBuffer v = java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.nativeOrder()).putInt(-2);
        w.bytes(v.array()).end();
        NetlinkMessages.Message m = NetlinkMessages.messages(w.array(), w.length()).get(0);
        assertEquals(2, NetlinkMessages.error(m));
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        for (int i = 0; i + needle.length <= hay.length; i++) {
            if (Arrays.equals(Arrays.copyOfRange(hay, i, i + needle.length), needle)) {
                return i;
            }
        }
        return -1;
    }
}
