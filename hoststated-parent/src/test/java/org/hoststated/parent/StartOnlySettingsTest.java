package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.hoststated.core.config.Globals;
import org.junit.jupiter.api.Test;

/** A reload that changes the socket, user or chroot is told that these wait for a restart. */
class StartOnlySettingsTest {
    private static Globals with(String socket, String user, String chroot) {
        Globals d = Globals.defaults();
        return new Globals(d.intervalSec() + 1, d.timeoutMs(), d.log(), d.prefork(), d.demote(), user, chroot,
                socket, d.l3Backend(), d.l3KeepRules());
    }

    @Test
    void otherChangesAreNotReported() {
        Globals g = Globals.defaults();
        assertEquals(List.of(), StartOnlySettings.ignored(g, with(g.socket(), g.user(), g.chroot())));
    }

    @Test
    void eachChangedStartOnlyOptionIsReported() {
        assertEquals(List.of("socket /tmp/b.sock takes effect at restart; /tmp/a.sock stays in use",
                "user nobody takes effect at restart; _hoststated stays in use",
                "chroot /tmp/e takes effect at restart; /var/empty stays in use"),
                StartOnlySettings.ignored(with("/tmp/a.sock", "_hoststated", "/var/empty"),
                        with("/tmp/b.sock", "nobody", "/tmp/e")));
    }
}
