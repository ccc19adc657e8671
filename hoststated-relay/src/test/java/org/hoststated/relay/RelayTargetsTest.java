package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.MapResolver;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.relay.lb.HostSelector;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.Test;

/** Each kind of relay target, from parsed configuration text, gives the selector it should. */
class RelayTargetsTest {
    static final String CONF = """
            table web {
              real port 8080
              check tcp
              host 10.22.0.1
              host 10.22.0.2 retry 2
              host 10.22.0.3
            }
            table tmpl {
              check tcp
              host 10.22.0.1
              host 10.22.0.2 retry 2
            }
            service www {
              virtual host 10.22.9.9 port 80
              table web
            }
            relay fwd {
              listen on 127.22.5.1 port 1001
              forward to 10.22.1.1 port 9000 retry 3
            }
            relay svc {
              listen on 127.22.5.1 port 1002
              service www retry 1
            }
            relay tbl {
              listen on 127.22.5.1 port 1003
              table tmpl port 8443 roundrobin
            }
            relay any {
              listen on 127.22.5.1 port 1004
              table web loadbalance no check
            }
            relay natonly {
              listen on 127.22.5.1 port 1005
              nat lookup retry 2
            }
            """;

    static Config config() {
        LoadResult r = ConfigLoader.parse(CONF, "test.conf", Map.of(), new MapResolver(Map.of()));
        assertTrue(r.ok(), r.errors().toString());
        return r.config();
    }

    static HostSelector selector(Config c, String relay, java.util.function.Predicate<TargetHost> usable) {
        RelayConfig r = c.relays().stream().filter(x -> x.name().equals(relay)).findFirst().orElseThrow();
        return RelayTargets.selector(r, c, usable);
    }

    static InetSocketAddress addr(String ip, int port) throws Exception {
        return new InetSocketAddress(InetAddress.getByName(ip), port);
    }

    @Test
    void forwardAndServiceAreOneFixedAddressWithTheirRetry() throws Exception {
        Config c = config();
        InetSocketAddress client = addr("192.0.2.1", 5000);
        InetSocketAddress listen = addr("127.22.5.1", 1001);
        TargetHost f = selector(c, "fwd", h -> false).select(client, listen);
        assertEquals(addr("10.22.1.1", 9000), f.address());
        assertEquals(3, f.retry());
        TargetHost s = selector(c, "svc", h -> false).select(client, listen);
        assertEquals(addr("10.22.9.9", 80), s.address(), "the service's first virtual host");
        assertEquals(1, s.retry());
    }

    @Test
    void tableTargetsUseTheirPortModeAndHostState() throws Exception {
        Config c = config();
        InetSocketAddress listen = addr("127.22.5.1", 1003);
        HostSelector tbl = selector(c, "tbl", h -> h.name().equals("10.22.0.2"));
        TargetHost t = tbl.select(addr("192.0.2.1", 5000), listen);
        assertEquals(addr("10.22.0.2", 8443), t.address(), "the only up host, on the port the relay gave the template table");
        assertEquals(2, t.retry(), "the host's own retry");
        assertNull(selector(c, "tbl", h -> false).select(addr("192.0.2.1", 5000), listen));
        TargetHost any = selector(c, "any", h -> false).select(addr("192.0.2.1", 5000), addr("127.22.5.1", 1004));
        assertEquals(8080, any.address().getPort(), "no check: a host whatever its state, on the table's port");
    }

    /** relayd's DNS example as a relay target: a TCP relay gets the tcp virtual host, a dns relay the udp one. */
    @Test
    void aServiceTargetIsTheVirtualHostOfTheRelaysTransport() throws Exception {
        LoadResult r = ConfigLoader.parse(CONF + """
                service dns {
                  virtual host 10.22.9.53 udp port 53
                  virtual host 10.22.9.54 port 53
                  table web
                }
                protocol d {
                  protocol dns
                }
                relay viaudp {
                  listen on 127.22.5.1 port 1006
                  protocol d
                  service dns
                }
                relay viatcp {
                  listen on 127.22.5.1 port 1007
                  service dns
                }
                """, "test.conf", Map.of(), new MapResolver(Map.of()));
        assertTrue(r.ok(), r.errors().toString());
        InetSocketAddress client = addr("192.0.2.1", 5000);
        assertEquals(addr("10.22.9.53", 53), selector(r.config(), "viaudp", h -> false).select(client, null).address());
        assertEquals(addr("10.22.9.54", 53), selector(r.config(), "viatcp", h -> false).select(client, null).address());
    }

    @Test
    void natLookupAloneHasNoOtherTarget() throws Exception {
        assertNull(selector(config(), "natonly", h -> true).select(addr("192.0.2.1", 1), addr("127.22.5.1", 1005)));
    }
}
