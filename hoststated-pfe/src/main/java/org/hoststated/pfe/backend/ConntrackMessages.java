package org.hoststated.pfe.backend;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * ctnetlink's messages (linux/netfilter/nfnetlink_conntrack.h): the request that lists every
 * connection tracking entry, the request that deletes one, and the entries of a listing. Each
 * message starts with nfnetlink's 4-byte header (family, version, resource id) after the
 * netlink header. Used on the {@code l3-writer} thread.
 */
final class ConntrackMessages {
    private static final int NFNL_SUBSYS_CTNETLINK = 1;
    static final int IPCTNL_MSG_CT_NEW = NFNL_SUBSYS_CTNETLINK << 8;
    static final int IPCTNL_MSG_CT_GET = IPCTNL_MSG_CT_NEW | 1;
    static final int IPCTNL_MSG_CT_DELETE = IPCTNL_MSG_CT_NEW | 2;
    private static final int AF_UNSPEC = 0;
    static final int AF_INET = 2;
    static final int AF_INET6 = 10;

    // enum ctattr_type
    static final int CTA_TUPLE_ORIG = 1;
    static final int CTA_TUPLE_REPLY = 2;
    static final int CTA_PROTOINFO = 4;
    static final int CTA_ID = 12;
    static final int CTA_ZONE = 18;
    // enum ctattr_tuple
    static final int CTA_TUPLE_IP = 1;
    static final int CTA_TUPLE_PROTO = 2;
    // enum ctattr_ip
    static final int CTA_IP_V4_SRC = 1;
    static final int CTA_IP_V4_DST = 2;
    static final int CTA_IP_V6_SRC = 3;
    static final int CTA_IP_V6_DST = 4;
    // enum ctattr_l4proto
    static final int CTA_PROTO_NUM = 1;
    static final int CTA_PROTO_SRC_PORT = 2;
    static final int CTA_PROTO_DST_PORT = 3;
    // enum ctattr_protoinfo, enum ctattr_protoinfo_tcp
    static final int CTA_PROTOINFO_TCP = 1;
    static final int CTA_PROTOINFO_TCP_STATE = 1;

    /** Bytes of one delete request, at most (two IPv6 addresses, id and zone). */
    static final int DELETE_MAX = 128;

    private ConntrackMessages() {
    }

    /** Lists the entries of every family (family AF_UNSPEC). */
    static NetlinkMessages.Writer dumpRequest(int seq) {
        NetlinkMessages.Writer w = new NetlinkMessages.Writer(64);
        w.begin(IPCTNL_MSG_CT_GET, NetlinkMessages.NLM_F_REQUEST | NetlinkMessages.NLM_F_DUMP, seq);
        nfgen(w, AF_UNSPEC);
        return w.end();
    }

    /**
     * Appends the request that deletes {@code e}, and only it (its id), with an
     * acknowledgement asked for.
     */
    static void deleteRequest(NetlinkMessages.Writer w, ConntrackEntry e, int seq) {
        w.begin(IPCTNL_MSG_CT_DELETE, NetlinkMessages.NLM_F_REQUEST | NetlinkMessages.NLM_F_ACK, seq);
        nfgen(w, family(e.original().source()));
        tuple(w, CTA_TUPLE_ORIG, e.original());
        w.attribute(CTA_ID, be(e.id(), 4));
        if (e.zone() != 0) {
            w.attribute(CTA_ZONE, be(e.zone(), 2));
        }
        w.end();
    }

    /** Writes an entry as the kernel lists it; for tests of the reading side. */
    static void entry(NetlinkMessages.Writer w, ConntrackEntry e, int seq) {
        w.begin(IPCTNL_MSG_CT_NEW, 0x2, seq);
        nfgen(w, family(e.original().source()));
        tuple(w, CTA_TUPLE_ORIG, e.original());
        tuple(w, CTA_TUPLE_REPLY, e.reply());
        w.attribute(CTA_ID, be(e.id(), 4));
        if (e.zone() != 0) {
            w.attribute(CTA_ZONE, be(e.zone(), 2));
        }
        if (e.tcpState() >= 0) {
            w.nest(CTA_PROTOINFO);
            w.nest(CTA_PROTOINFO_TCP);
            w.attribute(CTA_PROTOINFO_TCP_STATE, new byte[] {(byte) e.tcpState()});
            w.close();
            w.close();
        }
        w.end();
    }

    private static void nfgen(NetlinkMessages.Writer w, int family) {
        // struct nfgenmsg: family, version NFNETLINK_V0, resource id (big-endian) 0.
        w.bytes(new byte[] {(byte) family, 0, 0, 0});
    }

    private static void tuple(NetlinkMessages.Writer w, int type, ConntrackEntry.Tuple t) {
        boolean v4 = t.source() instanceof Inet4Address;
        w.nest(type);
        w.nest(CTA_TUPLE_IP);
        w.attribute(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC, t.source().getAddress());
        w.attribute(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST, t.destination().getAddress());
        w.close();
        w.nest(CTA_TUPLE_PROTO);
        w.attribute(CTA_PROTO_NUM, new byte[] {(byte) t.protocol()});
        if (hasPorts(t.protocol())) {
            w.attribute(CTA_PROTO_SRC_PORT, be(t.sourcePort(), 2));
            w.attribute(CTA_PROTO_DST_PORT, be(t.destinationPort(), 2));
        }
        w.close();
        w.close();
    }

    /** TCP, UDP, DCCP, SCTP, UDP-Lite: the protocols whose tuples carry ports. */
    private static boolean hasPorts(int protocol) {
        return protocol == 6 || protocol == 17 || protocol == 33 || protocol == 132 || protocol == 136;
    }

    private static int family(InetAddress a) {
        return a instanceof Inet4Address ? AF_INET : AF_INET6;
    }

    private static byte[] be(long v, int n) {
        byte[] b = new byte[n];
        for (int i = n - 1; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    /**
     * The entry an IPCTNL_MSG_CT_NEW message of a listing describes.
     *
     * @throws L3Exception when the message lacks a part every entry has, or a part has the
     *         wrong size
     */
    static ConntrackEntry parseEntry(NetlinkMessages.Message m) throws L3Exception {
        ByteBuffer p = m.payload().duplicate().order(m.payload().order());
        if (p.remaining() < 4) {
            throw new L3Exception("malformed conntrack entry: " + p.remaining() + " bytes");
        }
        p.position(p.position() + 4);
        List<NetlinkMessages.Attribute> attrs = NetlinkMessages.attributes(p);
        NetlinkMessages.Attribute id = NetlinkMessages.find(attrs, CTA_ID);
        NetlinkMessages.Attribute zone = NetlinkMessages.find(attrs, CTA_ZONE);
        return new ConntrackEntry(tuple(required(attrs, CTA_TUPLE_ORIG, "original tuple")),
                tuple(required(attrs, CTA_TUPLE_REPLY, "reply tuple")),
                (int) required(attrs, CTA_ID, "id").unsigned(4),
                zone == null ? 0 : (int) zone.unsigned(2), tcpState(NetlinkMessages.find(attrs, CTA_PROTOINFO)));
    }

    /** A TCP entry's state from its protocol information, or -1. */
    private static int tcpState(NetlinkMessages.Attribute protoinfo) throws L3Exception {
        if (protoinfo == null) {
            return -1;
        }
        NetlinkMessages.Attribute tcp = NetlinkMessages.find(protoinfo.nested(), CTA_PROTOINFO_TCP);
        NetlinkMessages.Attribute state = tcp == null ? null
                : NetlinkMessages.find(tcp.nested(), CTA_PROTOINFO_TCP_STATE);
        return state == null ? -1 : (int) state.unsigned(1);
    }

    private static ConntrackEntry.Tuple tuple(NetlinkMessages.Attribute a) throws L3Exception {
        List<NetlinkMessages.Attribute> t = a.nested();
        List<NetlinkMessages.Attribute> ip = required(t, CTA_TUPLE_IP, "addresses").nested();
        List<NetlinkMessages.Attribute> proto = required(t, CTA_TUPLE_PROTO, "protocol").nested();
        InetAddress src;
        InetAddress dst;
        if (NetlinkMessages.find(ip, CTA_IP_V4_SRC) != null) {
            src = address(required(ip, CTA_IP_V4_SRC, "source").bytes(4));
            dst = address(required(ip, CTA_IP_V4_DST, "destination").bytes(4));
        } else {
            src = address(required(ip, CTA_IP_V6_SRC, "source").bytes(16));
            dst = address(required(ip, CTA_IP_V6_DST, "destination").bytes(16));
        }
        int protocol = (int) required(proto, CTA_PROTO_NUM, "protocol number").unsigned(1);
        NetlinkMessages.Attribute sport = NetlinkMessages.find(proto, CTA_PROTO_SRC_PORT);
        NetlinkMessages.Attribute dport = NetlinkMessages.find(proto, CTA_PROTO_DST_PORT);
        return new ConntrackEntry.Tuple(src, dst, protocol, sport == null ? 0 : (int) sport.unsigned(2),
                dport == null ? 0 : (int) dport.unsigned(2));
    }

    private static NetlinkMessages.Attribute required(List<NetlinkMessages.Attribute> attrs, int type, String what)
            throws L3Exception {
        NetlinkMessages.Attribute a = NetlinkMessages.find(attrs, type);
        if (a == null) {
            throw new L3Exception("malformed conntrack entry: no " + what);
        }
        return a;
    }

    private static InetAddress address(byte[] raw) throws L3Exception {
        try {
            return InetAddress.getByAddress(raw);
        } catch (UnknownHostException e) {
            throw new L3Exception("malformed conntrack entry: an address of " + raw.length + " bytes");
        }
    }
}
