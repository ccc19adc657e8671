package org.hoststated.pfe.backend;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.IpProtocol;

/** Desired states for the backend tests. */
final class Redirects {
    private Redirects() {
    }

    static InetAddress ip(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static List<InetAddress> ips(String... a) {
        List<InetAddress> out = new ArrayList<>();
        for (String s : a) {
            out.add(ip(s));
        }
        return out;
    }

    static L3Backend.Redirect redirect(String service, String vip, String iface, List<InetAddress> up,
            boolean sticky, String tag) {
        return new L3Backend.Redirect(service, List.of(tcp(vip, 80, iface)), up, 8080, sticky, tag);
    }

    static L3Backend.Virtual tcp(String vip, int port, String iface) {
        return new L3Backend.Virtual(ip(vip), IpProtocol.TCP, port, iface);
    }

    static L3Backend.Virtual udp(String vip, int port, String iface) {
        return new L3Backend.Virtual(ip(vip), IpProtocol.UDP, port, iface);
    }
}
