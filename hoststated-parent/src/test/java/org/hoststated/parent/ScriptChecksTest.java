package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.msg.ScriptRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parent runs for hce only the scripts its configuration names, whatever the SCRIPT
 * message says (probe F: it ran any path and argument an hce sent, outside the chroot, even
 * with no script check configured).
 */
class ScriptChecksTest {
    @TempDir
    Path dir;

    private Config config(String text) throws Exception {
        Path file = Files.writeString(dir.resolve("hoststated.conf"), "l3 backend none\n" + text);
        ConfigSource.Outcome o = new ConfigSource(file, Map.of()).load();
        assertEquals(java.util.List.of(), o.errors());
        return o.loaded().config();
    }

    private static HostConfig host(Config c, String table) {
        return c.activeTables().stream().filter(t -> t.name().equals(table)).map(TableConfig::hosts).findFirst()
                .orElseThrow().get(0);
    }

    private static ScriptRequest forged(int generation, HostConfig h) {
        return new ScriptRequest(generation, h.id(), "/usr/bin/touch", "/tmp/owned", 600_000);
    }

    @Test
    void theScriptNameAndTimeoutAreTheConfigurationsNotTheMessages() throws Exception {
        Config c = config("""
                table scripted {
                  real port 80
                  timeout 700
                  check script "/usr/local/bin/check-web"
                  host 127.0.0.1
                }
                table plain {
                  real port 80
                  check tcp
                  host 127.0.0.2
                }
                service s {
                  virtual host 127.0.0.9 port 80
                  table scripted
                }
                service p {
                  virtual host 127.0.0.10 port 80
                  table plain
                }
                """);
        ScriptChecks checks = new ScriptChecks();
        checks.configured(1, c);
        HostConfig scripted = host(c, "scripted");
        assertEquals(new ScriptRequest(1, scripted.id(), "/usr/local/bin/check-web", "127.0.0.1", 700),
                checks.trusted(forged(1, scripted)));
        assertNull(checks.trusted(forged(1, host(c, "plain"))), "a host not checked by script");
        assertNull(checks.trusted(forged(1, new HostConfig(9999, 1, "x", null, 0))), "a host not configured");
        assertNull(checks.trusted(forged(7, scripted)), "a generation never sent");

        // hce runs the generation before the last until it switches; older ones are gone.
        Config none = config("table plain {\n real port 80\n check tcp\n host 127.0.0.2\n}\n"
                + "service p {\n virtual host 127.0.0.10 port 80\n table plain\n}\n");
        checks.configured(2, none);
        assertEquals("/usr/local/bin/check-web", checks.trusted(forged(1, scripted)).path());
        assertNull(checks.trusted(forged(2, scripted)), "no script check configured");
        checks.configured(3, none);
        assertNull(checks.trusted(forged(1, scripted)));
    }
}
