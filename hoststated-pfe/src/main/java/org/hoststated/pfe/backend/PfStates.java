package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Which pf states a service's rdr-to rule made towards a host, read from {@code pfctl -ss -vv}
 * (pfctl's print_state), and the {@code pfctl -k id} arguments that kill one. An inbound
 * state of a redirected connection reads
 * {@code all tcp 10.0.0.2:8080 (192.0.2.10:80) <- 198.51.100.7:40000 ESTABLISHED:ESTABLISHED}
 * (the host, the virtual address in parentheses, the client; IPv6 ports in brackets; {@code udp}
 * and {@code MULTIPLE:SINGLE} for a UDP flow), and
 * its {@code id: 5d1b0b4e00000003 creatorid: ...} line follows a few lines later. pf's
 * {@code -k host} forms match the addresses the client sent to (the virtual address), so
 * they cannot pick one host's states; {@code -k label} would take every host's.
 */
final class PfStates {
    private PfStates() {
    }

    /** The ids of the states in {@code listing} that {@code k}'s service made towards its hosts. */
    static List<String> ids(String listing, L3Backend.StateKill k) {
        List<String> out = new ArrayList<>();
        boolean mine = false;
        for (String line : listing.split("\n")) {
            if (!line.startsWith(" ") && !line.startsWith("\t")) {
                mine = belongs(line.trim().split("\\s+"), k);
            } else if (mine && line.trim().startsWith("id: ")) {
                String[] w = line.trim().split("\\s+");
                if (w.length >= 2 && w[1].matches("[0-9a-f]{1,16}")) {
                    out.add(w[1]);
                }
                mine = false;
            }
        }
        return out;
    }

    /** {@code ifname proto host:port (vip:port) <- client:port state}. */
    private static boolean belongs(String[] w, L3Backend.StateKill k) {
        if (w.length < 6 || !w[4].equals("<-")
                || !w[3].startsWith("(") || !w[3].endsWith(")")) {
            return false;
        }
        Endpoint host = Endpoint.parse(w[2]);
        Endpoint vip = Endpoint.parse(w[3].substring(1, w[3].length() - 1));
        if (host == null || vip == null || !k.takes(host.address(), host.port())) {
            return false;
        }
        for (L3Backend.Virtual v : k.virtuals()) {
            if (w[1].equals(v.protocol().word()) && vip.address().equals(v.address()) && vip.port() == v.port()) {
                return true;
            }
        }
        return false;
    }

    /** An address and port as pfctl prints them: {@code 10.0.0.2:8080}, {@code fd00::2[8080]}. */
    record Endpoint(InetAddress address, int port) {
        /** The endpoint, or null for anything else (a name, a range, garbage). */
        static Endpoint parse(String s) {
            int cut = s.endsWith("]") ? s.lastIndexOf('[') : s.lastIndexOf(':');
            if (cut <= 0) {
                return null;
            }
            String addr = s.substring(0, cut);
            String port = s.endsWith("]") ? s.substring(cut + 1, s.length() - 1) : s.substring(cut + 1);
            // Literals only, so that nothing here ever asks a resolver.
            boolean literal = addr.matches("[0-9a-fA-F:.]*:[0-9a-fA-F:.]*") || addr.matches("\\d{1,3}(\\.\\d{1,3}){3}");
            if (!literal || !port.matches("\\d{1,5}")) {
                return null;
            }
            try {
                return new Endpoint(InetAddress.getByName(addr), Integer.parseInt(port));
            } catch (java.net.UnknownHostException e) {
                return null;
            }
        }
    }

    /** The N of pfctl's "killed N states" (on stderr), or 1 when it said nothing (-q). */
    static int killedCount(String stderr) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("killed (\\d{1,9}) states").matcher(stderr);
        return m.find() ? Integer.parseInt(m.group(1)) : 1;
    }

    /** {@code pfctl -k id -k ID}. */
    static List<String> killArgs(String id) {
        return List.of("-k", "id", "-k", id);
    }
}
