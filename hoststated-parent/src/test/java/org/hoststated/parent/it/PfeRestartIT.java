package org.hoststated.parent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.msg.MessageType;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A restarted pfe takes back what the operator changed, however much that is.
 * {@code -Dhoststated.it.pferestart} moves the test to other loopback addresses.
 */
class PfeRestartIT {
    private static final String NET = System.getProperty("hoststated.it.pferestart", "127.39.11");
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final int TABLES = 4;
    private static final int HOSTS = 250;

    /** A table name of the longest kind (63 characters), numbered. */
    private static String table(int i) {
        return String.format("a_table_whose_name_is_as_long_as_the_grammar_allows_it_to_be_%02d", i);
    }

    /**
     * 1,000 disabled hosts of tables with long names are about 82,000 characters of disabled
     * set: pfe sent the parent its first 60 KiB only, and a restarted pfe put 256 hosts back into
     * service (a warning said so, at every change).
     */
    @Test
    void everyDisabledHostStaysDisabledWhenPfeRestarts(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        int port = CtlIT.freePort(NET + ".1");
        try (Daemon d = new Daemon(dir)) {
            StringBuilder conf = new StringBuilder(d.globals()).append("interval 60\ntimeout 300\n");
            for (int t = 0; t < TABLES; t++) {
                conf.append("table ").append(table(t)).append(" {\n  real port ").append(port).append("\n  check tcp\n");
                for (int h = 1; h <= HOSTS; h++) {
                    conf.append("  host ").append(NET).append('.').append(h).append('\n');
                }
                conf.append("}\n");
                // show summary lists the tables of services and relays only.
                conf.append("service s").append(t).append(" {\n  virtual host ").append(NET).append(".254 port ")
                        .append(1000 + t).append("\n  table ").append(table(t)).append("\n}\n");
            }
            d.writeConfig(conf.toString());
            d.start();
            d.awaitLogged("pfe answers", WAIT, () -> d.ctl("show", "summary").output().contains(table(0)));
            List<Integer> ids = new ArrayList<>();
            for (int id = 0; id < TABLES * HOSTS; id++) {
                ids.add(id);
            }
            assertEquals("", ControlRequests.each(d.socket, MessageType.CTL_HOST_DISABLE, ids), d.logText());
            assertEquals(TABLES * HOSTS, disabledHosts(d), d.logText());

            long pfe = d.child("hoststated: pf engine").orElseThrow();
            new ProcessBuilder("sh", "-c", "kill -KILL " + pfe).inheritIO().start().waitFor();
            d.awaitLogged("pfe restarted and answering", WAIT, () -> d.child("hoststated: pf engine")
                    .filter(p -> p != pfe).isPresent() && d.ctl("show", "summary").output().contains(table(0)));
            assertEquals(TABLES * HOSTS, disabledHosts(d), d.logText());
            assertFalse(d.logText().contains("keeps the first"), d.logText());
        }
    }

    /**
     * A restarted pfe answers {@code show summary} with the states hce gives it, not with the
     * "unknown" hosts and "empty" tables it starts from: it had done so for about 0.3 s (probe Y
     * F1), an outage to a script that polls the summary.
     */
    @Test
    void aRestartedPfeShowsTheHostsAsTheyWere(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root: skipped");
        int port = CtlIT.freePort(NET + ".2");
        try (Daemon d = new Daemon(dir);
                ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(NET + ".2"))) {
            d.writeConfig(d.globals() + "interval 60\ntable web {\n  real port " + port + "\n  check tcp\n  host "
                    + NET + ".2\n}\nservice s {\n  virtual host " + NET + ".254 port 1000\n  table web\n}\n");
            d.start();
            d.awaitLogged("the host up", WAIT, () -> d.ctl("show", "summary").output().contains("\tup"));
            long pfe = d.child("hoststated: pf engine").orElseThrow();
            new ProcessBuilder("sh", "-c", "kill -KILL " + pfe).inheritIO().start().waitFor();
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<String> rows;
            List<String> statuses;
            do {
                Thread.sleep(10); // hoststatectl's JVM takes longer than the window this looks for
                try (SummaryReader r = new SummaryReader(d.socket)) {
                    r.readAll();
                    rows = r.rows;
                    statuses = r.statuses;
                } catch (IOException e) {
                    rows = List.of(e.toString()); // the parent restarts pfe's channel
                    statuses = List.of();
                }
            } while (!rows.contains("ctl_end ") && System.nanoTime() < deadline);
            assertEquals(List.of("active (1 hosts up)", "up"), statuses, rows + d.logText());
        }
    }

    private static long disabledHosts(Daemon d) throws Exception {
        return d.ctl("show", "summary").output().lines()
                .filter(l -> l.startsWith("host\t") && l.endsWith("disabled")).count();
    }
}
