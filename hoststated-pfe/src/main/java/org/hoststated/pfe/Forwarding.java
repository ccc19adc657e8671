package org.hoststated.pfe;

import java.io.IOException;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ServiceConfig;
import org.hoststated.core.config.VirtualHost;

/**
 * Whether the kernel forwards packets for the services' address families. nftables redirects
 * a client's connection to a host only when the balancer forwards it (the manual says so);
 * with forwarding off every service shows active and every client of another machine times
 * out, with nothing in the log (probe I of session 57). pfe reads its own network namespace's
 * settings, as the rules live there.
 */
final class Forwarding {
    private static final String IPV4 = "net/ipv4/ip_forward";
    private static final String IPV6 = "net/ipv6/conf/all/forwarding";

    private Forwarding() {
    }

    /** One warning per address family of the services' virtual hosts that is not forwarded. */
    static List<String> off(Config config, Path procSys) {
        boolean v4 = false;
        boolean v6 = false;
        for (ServiceConfig s : config.services()) {
            for (VirtualHost v : s.virtualHosts()) {
                if (v.address() instanceof Inet6Address) {
                    v6 = true;
                } else {
                    v4 = true;
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String key : v4 && v6 ? List.of(IPV4, IPV6) : v4 ? List.of(IPV4) : v6 ? List.of(IPV6) : List.<String>of()) {
            if ("0".equals(read(procSys.resolve(key)))) {
                String name = key.replace('/', '.');
                String family = key.equals(IPV4) ? "IPv4" : "IPv6";
                out.add(name + " is 0: this machine forwards no " + family + " packet, so connections from other"
                        + " machines to the services' " + family + " virtual hosts reach no host (sysctl -w " + name
                        + "=1)");
            }
        }
        return out;
    }

    /** The setting, or null when it cannot be read (no such family, no /proc). */
    private static String read(Path p) {
        try {
            // Line by line: Files.readString of a sysctl file gives its first byte alone
            // (its size reads 0, and a read past the first returns nothing), "4" for 4194304.
            return String.join("\n", Files.readAllLines(p, StandardCharsets.US_ASCII)).trim();
        } catch (IOException e) {
            return null;
        }
    }
}
