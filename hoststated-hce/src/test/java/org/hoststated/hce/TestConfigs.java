package org.hoststated.hce;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.Globals;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.LogMode;
import org.hoststated.core.config.TableConfig;

/** Builds configurations for tests without the parser: one table per call of {@link #table}. */
public final class TestConfigs {
    private final List<TableConfig> tables = new ArrayList<>();
    private final int intervalSec;
    private final int timeoutMs;
    private int nextHostId = 1;

    public TestConfigs(int intervalSec, int timeoutMs) {
        this.intervalSec = intervalSec;
        this.timeoutMs = timeoutMs;
    }

    public TestConfigs table(String name, int port, CheckConfig check, List<String> addresses, int retry) {
        return table(name, port, check, addresses, retry, intervalSec, false);
    }

    public TestConfigs table(String name, int port, CheckConfig check, List<String> addresses, int retry,
            int tableIntervalSec, boolean disabled) {
        return table(name, port, check, addresses, retry, tableIntervalSec, timeoutMs, disabled);
    }

    /** A table with its own {@code timeout} (else the global one). */
    public TestConfigs table(String name, int port, CheckConfig check, List<String> addresses, int retry,
            int tableIntervalSec, int tableTimeoutMs, boolean disabled) {
        int tableId = tables.size() + 1;
        List<HostConfig> hosts = new ArrayList<>();
        for (String a : addresses) {
            hosts.add(new HostConfig(nextHostId++, tableId, a, addr(a), retry));
        }
        tables.add(new TableConfig(tableId, name, port, check, tableTimeoutMs, tableIntervalSec, disabled, null, hosts,
                false, null));
        return this;
    }

    public Config build() {
        Globals d = Globals.defaults();
        Globals g = new Globals(intervalSec, timeoutMs, LogMode.ALL, d.prefork(), null, d.user(), d.chroot(),
                d.socket(), null, false);
        return new Config(g, tables, List.of(), List.of(), List.of());
    }

    /** 127.0.x.y addresses: all local on Linux, so one listener on 0.0.0.0 answers them all. */
    public static List<String> loopbacks(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("127.0." + (1 + i / 250) + "." + (1 + i % 250));
        }
        return out;
    }

    static InetAddress addr(String a) {
        try {
            return InetAddress.getByName(a);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(a, e);
        }
    }
}
