package org.hoststated.pfe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.hoststated.core.config.Config;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A balancer that does not forward the services' address families is warned of. */
class ForwardingTest {
    private static final Config DUAL = PfeFixtures.config("""
            l3 backend none
            table web {
            \treal port 8080
            \tcheck tcp
            \thost 10.21.2.11
            \thost fd21::2:11
            }
            service www {
            \tvirtual host 10.21.9.100 port 80
            \tvirtual host fd21::9:100 port 80
            \ttable web
            }
            """);

    @Test
    void eachFamilyNotForwardedIsWarnedOf(@TempDir Path sys) throws IOException {
        write(sys, "net/ipv4/ip_forward", "0\n");
        write(sys, "net/ipv6/conf/all/forwarding", "1\n");
        assertEquals(List.of("net.ipv4.ip_forward is 0: this machine forwards no IPv4 packet, so connections from"
                + " other machines to the services' IPv4 virtual hosts reach no host (sysctl -w net.ipv4.ip_forward=1)"),
                Forwarding.off(DUAL, sys));
        write(sys, "net/ipv6/conf/all/forwarding", "0\n");
        assertEquals(2, Forwarding.off(DUAL, sys).size());
        write(sys, "net/ipv4/ip_forward", "1\n");
        write(sys, "net/ipv6/conf/all/forwarding", "1\n");
        assertEquals(List.of(), Forwarding.off(DUAL, sys));
    }

    @Test
    void aSettingThatCannotBeReadIsNoWarning(@TempDir Path sys) {
        assertEquals(List.of(), Forwarding.off(DUAL, sys));
    }

    private static void write(Path sys, String key, String value) throws IOException {
        Path p = sys.resolve(key);
        Files.createDirectories(p.getParent());
        Files.writeString(p, value);
    }
}
