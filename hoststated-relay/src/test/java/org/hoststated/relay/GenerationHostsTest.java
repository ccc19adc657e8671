package org.hoststated.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.LoadResult;
import org.hoststated.core.config.MapResolver;
import org.hoststated.core.config.TableConfig;
import org.hoststated.relay.lb.RelayHosts;
import org.hoststated.relay.lb.TargetHost;
import org.junit.jupiter.api.Test;

/** A host of an older generation is found under its id in the applied one, by table and address. */
class GenerationHostsTest {
    private static Config config(String hosts) {
        return config("real port 80\n check tcp", hosts);
    }

    private static Config config(String check, String hosts) {
        String text = "table web {\n " + check + "\n" + hosts + "}\n"
                + "relay r {\n listen on 127.0.0.1 port 1000\n table web\n}\n";
        LoadResult r = ConfigLoader.parse(text, "test.conf", Map.of(), new MapResolver(Map.of()));
        assertTrue(r.ok(), r.errors().toString());
        return r.config();
    }

    private static int id(Config c, String address) {
        TableConfig t = c.activeTables().get(0);
        return t.hosts().stream().filter(h -> h.address().getHostAddress().equals(address)).findFirst()
                .orElseThrow().id();
    }

    @Test
    void aHostThatStaysIsFoundUnderItsNewIdAndOneThatLeftIsGone() {
        Config before = config(" host 10.0.0.1\n host 10.0.0.2\n host 10.0.0.3\n");
        Config after = config(" host 10.0.0.9\n host 10.0.0.3\n host 10.0.0.1\n");
        GenerationHosts old = new GenerationHosts(before);
        GenerationHosts now = new GenerationHosts(after);

        assertEquals(id(after, "10.0.0.1"), now.idOf(old, id(before, "10.0.0.1")));
        assertEquals(id(after, "10.0.0.3"), now.idOf(old, id(before, "10.0.0.3")));
        assertEquals(GenerationHosts.GONE, now.idOf(old, id(before, "10.0.0.2")));
        assertEquals(GenerationHosts.GONE, now.idOf(old, 12345));
        assertEquals(id(after, "10.0.0.9"), now.idOf(now, id(after, "10.0.0.9")));
    }

    /** A host's state is carried over a reload only while its table checks it as before (review CD). */
    @Test
    void aHostsStateIsCarriedOnlyWhileItIsCheckedAsBefore() {
        Config before = config(" host 10.0.0.1\n");
        int id = id(before, "10.0.0.1");
        GenerationHosts old = new GenerationHosts(before);
        Config same = config(" host 10.0.0.2\n host 10.0.0.1\n");
        assertEquals(id(same, "10.0.0.1"), new GenerationHosts(same).carriedIdOf(old, id));
        for (String check : List.of("real port 81\n check tcp", "real port 80\n check http \"/\" code 200")) {
            Config changed = config(check, " host 10.0.0.1\n");
            GenerationHosts now = new GenerationHosts(changed);
            assertEquals(GenerationHosts.GONE, now.carriedIdOf(old, id), check);
            assertEquals(id(changed, "10.0.0.1"), now.idOf(old, id), "the same host to sessions of the older generation");
        }
    }

    @Test
    void hostsThatLeftKeepTheirOldFlagsWhileTheOthersFollow() {
        TargetHost a = new TargetHost(1, "a", new java.net.InetSocketAddress("10.0.0.1", 80), 0);
        TargetHost b = new TargetHost(2, "b", new java.net.InetSocketAddress("10.0.0.2", 80), 0);
        RelayHosts old = RelayHosts.of(List.of(a, b), h -> true);

        RelayHosts next = old.with(h -> h == a, h -> false, h -> true, h -> false);

        assertFalse(next.usable(0), "a host that stayed follows its state");
        assertTrue(next.failed(0));
        assertTrue(next.usable(1), "a host that left is picked as before");
        assertFalse(next.failed(1));
        assertEquals(old.hosts(), next.hosts());
    }
}
