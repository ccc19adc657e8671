package org.hoststated.pfe.backend;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.CRC32;
import org.hoststated.core.hash.Hash32;

/**
 * Renders pfe's desired state as one {@code nft -f} script that replaces the daemon's own
 * table in one transaction (the {@code table; delete table; table { ... }} idiom works whether
 * or not the table exists, and touches no other table).
 *
 * <p>Per virtual address, protocol ({@code tcp dport} or {@code udp dport}) and port of a
 * service with hosts up, one DNAT rule in a nat
 * prerouting chain picks a host from an anonymous map: {@code numgen inc} over the up hosts
 * (round robin, as pf's rdr pools) or, with {@code sticky-address}, {@code jhash} of the client
 * address over a fixed set of slots dealt to the table's hosts ({@link #stickySlots}): a host
 * failing moves only its own clients, and coming back takes back only those (as pf drops only
 * the source nodes of a dead host); the order of the {@code host} lines does not matter. A
 * {@code tag} sets
 * a packet and conntrack mark in a filter chain at mangle priority, for the operator's own
 * rules (and, for the local connections the output chain redirects, in a route chain on the
 * output hook). Addresses of the other family than the virtual address are left out. The rules of
 * virtual addresses without an interface are also in a nat output chain: connections the
 * balancer opens itself (a relay whose target is a service, a local client) never pass
 * prerouting.
 *
 * <p>The prerouting chain always ends with {@link #KEEP_TRACKING}, a rule that changes nothing
 * (the chain's policy accepts too) but holds connection tracking on. The kernel translates the
 * packets of a flow already redirected only while some rule needs connection tracking and a nat
 * chain is there (measured on Linux 6.18: with the DNAT rules gone and nothing else
 * tracking, a redirected TCP connection's next packets went untranslated and it hung). Without
 * it, a service whose hosts all went down, or a stop, froze the connections the rules had
 * redirected, where pf keeps its states.
 */
final class NftScript {
    /** Sticky slots per virtual host: at least this many, the same number for each host. */
    static final int MIN_STICKY_SLOTS = 64;

    /**
     * The last rule of the prerouting chain: holds connection tracking, and with it the
     * translation of the flows already redirected, on.
     */
    static final String KEEP_TRACKING = "ct state established,related accept comment \"keeps redirected flows\"";

    private NftScript() {
    }

    static String render(String table, List<L3Backend.Redirect> services) {
        List<String> nat = new ArrayList<>();
        List<String> local = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        List<String> localTags = new ArrayList<>();
        for (L3Backend.Redirect r : services) {
            for (L3Backend.Virtual v : r.virtuals()) {
                String match = match(v);
                String to = target(r, v.address() instanceof Inet6Address);
                if (to == null) {
                    continue;
                }
                nat.add(match + " dnat " + to + " comment " + comment(r.service()));
                if (v.iface() == null) {
                    local.add(match + " dnat " + to + " comment " + comment(r.service()));
                }
                if (r.tag() != null) {
                    String tag = match + String.format(" meta mark set 0x%08x ct mark set meta mark", mark(r.tag()))
                            + " comment " + comment(r.service());
                    tags.add(tag);
                    if (v.iface() == null) {
                        localTags.add(tag);
                    }
                }
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("table inet ").append(table).append('\n');
        b.append("delete table inet ").append(table).append('\n');
        b.append("table inet ").append(table).append(" {\n");
        nat.add(KEEP_TRACKING);
        chain(b, "prerouting", "type nat hook prerouting priority dstnat; policy accept;", nat);
        if (!local.isEmpty()) {
            chain(b, "output", "type nat hook output priority -100; policy accept;", local);
        }
        if (!tags.isEmpty()) {
            chain(b, "tag", "type filter hook prerouting priority mangle; policy accept;", tags);
        }
        if (!localTags.isEmpty()) {
            // A route chain, as iptables' mangle OUTPUT: a mark set here is seen by policy routing.
            chain(b, "tag-local", "type route hook output priority mangle; policy accept;", localTags);
        }
        b.append("}\n");
        return b.toString();
    }

    /** The script that removes the table, whether or not it exists. */
    static String remove(String table) {
        return "table inet " + table + "\ndelete table inet " + table + "\n";
    }

    private static void chain(StringBuilder b, String name, String hook, List<String> rules) {
        b.append("\tchain ").append(name).append(" {\n\t\t").append(hook).append('\n');
        for (String r : rules) {
            b.append("\t\t").append(r).append('\n');
        }
        b.append("\t}\n");
    }

    private static String match(L3Backend.Virtual v) {
        String iface = v.iface() == null ? "" : "iifname \"" + v.iface() + "\" ";
        String fam = v.address() instanceof Inet6Address ? "ip6" : "ip";
        return iface + fam + " daddr " + v.address().getHostAddress() + " " + v.protocol().word() + " dport "
                + v.port();
    }

    /** The DNAT target, or null when no host of the virtual address's family is up. */
    private static String target(L3Backend.Redirect r, boolean v6) {
        List<InetAddress> up = family(r.hosts(), v6);
        if (up.isEmpty()) {
            return null;
        }
        String fam = v6 ? "ip6" : "ip";
        List<InetAddress> slots;
        String pick;
        if (r.sticky()) {
            slots = stickySlots(family(r.pool(), v6), up);
            pick = String.format("jhash %s saddr mod %d seed 0x%08x", fam, slots.size(), seed(r.service()));
        } else {
            slots = up;
            pick = "numgen inc mod " + up.size();
        }
        StringBuilder m = new StringBuilder();
        for (int i = 0; i < slots.size(); i++) {
            m.append(i == 0 ? "" : ", ").append(i).append(" : ").append(slots.get(i).getHostAddress());
        }
        return fam + " to " + pick + " map { " + m + " }:" + r.realPort();
    }

    /**
     * The host of each sticky slot: the slots are dealt to the table's hosts ({@code pool}, up
     * or not) in address order, evenly, and a slot of a host that is not up goes to the up host
     * that ranks first for it (rendezvous hashing of the slot number and the host's address, a
     * ranking that does not depend on which other hosts are up). So a failure moves only the
     * failed host's clients and its return takes back only those, whatever else is down, and
     * the order of the host lines does not matter; a host added or removed by a reload changes
     * the dealing and moves most clients. Until session 57 the slots of hosts not up were dealt
     * again in turn, so a second failure moved clients between hosts that stayed up (probe I).
     * Rendezvous over 1024 slots for every slot was tried and taken back: 300 sticky services
     * made a rule text pfe's heap could not hold, writes were 3-5 times slower, and the shares
     * were uneven by a quarter and more for 16 hosts (probe J).
     */
    static List<InetAddress> stickySlots(List<InetAddress> pool, List<InetAddress> up) {
        int[] keys = new int[up.size()];
        for (int h = 0; h < keys.length; h++) {
            keys[h] = Hash32.address(up.get(h), Hash32.INIT);
        }
        List<InetAddress> members = new ArrayList<>(pool.containsAll(up) ? pool : up);
        members.sort(Comparator.comparing(InetAddress::getAddress, Arrays::compareUnsigned));
        int n = members.size();
        int count = n * ((MIN_STICKY_SLOTS + n - 1) / n);
        Set<InetAddress> isUp = new HashSet<>(up);
        List<InetAddress> slots = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            InetAddress h = members.get(i % n);
            slots.add(isUp.contains(h) ? h : up.get(first(i, keys)));
        }
        return slots;
    }

    /** The index of the host whose key ranks first for {@code slot} ({@link Hash32#rank}). */
    private static int first(int slot, int[] keys) {
        int best = 0;
        int bestRank = Hash32.rank(keys[0], slot);
        for (int h = 1; h < keys.length; h++) {
            int r = Hash32.rank(keys[h], slot);
            if (Integer.compareUnsigned(r, bestRank) > 0) {
                best = h;
                bestRank = r;
            }
        }
        return best;
    }

    private static List<InetAddress> family(List<InetAddress> hosts, boolean v6) {
        List<InetAddress> out = new ArrayList<>();
        for (InetAddress a : hosts) {
            if ((a instanceof Inet6Address) == v6) {
                out.add(a);
            }
        }
        return out;
    }

    /**
     * The packet mark for a {@code tag}: a number (decimal or 0x hex, 1 to 2^32-1) is used as
     * it is; a name maps to its CRC-32 (0 becomes 1), stable across restarts and hosts.
     */
    static long mark(String tag) {
        try {
            long n = tag.startsWith("0x") || tag.startsWith("0X") ? Long.parseLong(tag.substring(2), 16)
                    : Long.parseLong(tag);
            if (n > 0 && n <= 0xffffffffL) {
                return n;
            }
        } catch (NumberFormatException e) {
            // A name, not a number: hashed below.
        }
        CRC32 crc = new CRC32();
        crc.update(tag.getBytes(StandardCharsets.UTF_8));
        long m = crc.getValue();
        return m == 0 ? 1 : m;
    }

    /** A per-service hash seed, so services do not share their sticky slot choice. */
    private static long seed(String service) {
        CRC32 crc = new CRC32();
        crc.update(service.getBytes(StandardCharsets.UTF_8));
        return crc.getValue();
    }

    /** The service name as an nft comment: quotes and control characters replaced. */
    private static String comment(String service) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : service.toCharArray()) {
            b.append(c < 0x20 || c == '"' || c == '\\' || c > 0x7e ? '_' : c);
        }
        return b.append('"').toString();
    }
}
