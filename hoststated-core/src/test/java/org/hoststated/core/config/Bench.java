package org.hoststated.core.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Times loading (parse and validation) of a large generated configuration in-process; run by
 * bench/config-load/run.sh. Not a unit test.
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws IOException {
        long jvmUp = System.currentTimeMillis()
                - java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        int tables = 100;
        int hostsPerTable = 100;
        int relays = 50;
        Path file = args.length > 0 ? Path.of(args[0]) : Files.createTempFile("bench", ".conf");
        Files.writeString(file, generate(tables, hostsPerTable, relays));
        long t0 = System.nanoTime();
        LoadResult first = ConfigLoader.load(file, Map.of(), new MapResolver(Map.of()));
        long coldNs = System.nanoTime() - t0;
        if (!first.ok()) {
            System.err.println(first.errors().get(0));
            System.exit(1);
        }
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            long s = System.nanoTime();
            ConfigLoader.load(file, Map.of(), new MapResolver(Map.of()));
            best = Math.min(best, System.nanoTime() - s);
        }
        System.out.printf("config: %d tables, %d hosts, %d relays, %d bytes%n", tables,
                tables * hostsPerTable, relays, Files.size(file));
        System.out.printf("jvm start to main: %d ms%n", jvmUp);
        System.out.printf("load (parse+validate), first run: %.1f ms%n", coldNs / 1e6);
        System.out.printf("load (parse+validate), best of 5 warm runs: %.1f ms%n", best / 1e6);
        if (args.length == 0) {
            Files.delete(file);
        }
    }

    static String generate(int tables, int hostsPerTable, int relays) {
        StringBuilder b = new StringBuilder(1 << 20);
        b.append("interval 10\ntimeout 200\nprefork 5\n");
        for (int t = 0; t < tables; t++) {
            b.append("table t").append(t).append(" {\n\treal port ").append(8000 + t)
                    .append("\n\tcheck http \"/health\" code 200\n");
            for (int h = 0; h < hostsPerTable; h++) {
                b.append("\thost 10.").append(t).append('.').append(h / 250).append('.')
                        .append(h % 250 + 1).append(" retry 1\n");
            }
            b.append("}\n");
        }
        b.append("protocol web {\n\tprotocol http\n\theader append \"$REMOTE_ADDR\" to \"X-Forwarded-For\"\n}\n");
        for (int r = 0; r < relays; r++) {
            b.append("relay r").append(r).append(" {\n\tlisten on 127.0.0.1 port ").append(9000 + r)
                    .append("\n\tprotocol web\n\ttable t").append(r).append(" roundrobin\n}\n");
        }
        for (int t = relays; t < tables; t++) {
            b.append("service s").append(t).append(" {\n\tvirtual host 192.0.2.1 port ").append(8000 + t)
                    .append("\n\ttable t").append(t).append("\n}\n");
        }
        return b.toString();
    }
}
