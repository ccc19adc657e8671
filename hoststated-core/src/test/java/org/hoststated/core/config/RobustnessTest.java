package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Thousands of broken configurations, each answered with a config or {@code file:line:}
 * errors: no exception, hang or stack overflow. Seeded, so a failure can be replayed.
 */
class RobustnessTest {
    private static final String OWN = "m = 10.0.0.1\ninterval 10\ntimeout 200\nprefork 3\n"
            + "table tpl {\n check http \"/\" host a code 200\n host $m retry 2\n host localhost\n}\n"
            + "table t2 { real port 80\n check send \"x\" expect \"y*\" ssl\n host ::1 }\n"
            + "service s {\n virtual host 192.0.2.1 port 80 interface em0\n table tpl\n backup table t2\n tag X\n}\n"
            + "protocol p {\n protocol http\n tcp { nodelay, sack }\n ssl { ciphers \"HIGH\", no sslv3 }\n"
            + " request header append \"a\" to \"b\" marked log\n label \"l\"\n cookie expect \"*\" from \"c\" mark\n}\n"
            + "relay r {\n listen on 127.0.0.1 port 8080 ssl\n protocol p\n table tpl port 81 hash no check\n nat lookup retry 1\n}\n";
    private static final String[] JUNK = {"{", "}", ",", "=", "\"", "'", "\\\n", "$m", "$nope", "\n", "#",
        "include \"nonexistent.conf\"", "table", "host", "port", "99999", "-1", "\u0000", "\u00ff", "::", "{{{{"};

    @Test
    void mutatedConfigsAlwaysGetAnAnswer() throws IOException {
        List<String> seeds = new ArrayList<>();
        seeds.add(OWN);
        for (Path p : TestConfigs.conformanceFiles()) {
            seeds.add(Files.readString(p));
        }
        Random rnd = new Random(42);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            int loaded = 0;
            for (int i = 0; i < 3000; i++) {
                String text = mutate(seeds.get(i % seeds.size()), rnd, 1 + rnd.nextInt(3));
                if (check(text)) {
                    loaded++;
                }
            }
            assertTrue(loaded > 0, "some mutations (e.g. of comments) still load");
        });
    }

    @Test
    void pathologicalInputs() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            check("{".repeat(200_000));
            check("table x " + "{".repeat(100_000) + "\n" + "}".repeat(100_000));
            check("host " + "a".repeat(2_000_000));
            check("\"" + "a".repeat(2_000_000));
            check("$" + "a".repeat(100_000));
            byte[] bytes = new byte[1 << 20];
            new Random(7).nextBytes(bytes);
            check(new String(bytes, java.nio.charset.StandardCharsets.UTF_8));
            check(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1));
            StringBuilder big = new StringBuilder(11 << 20);
            while (big.length() < 10 << 20) {
                big.append(OWN);
            }
            LoadResult r = check(big.toString()) ? null : TestConfigs.parse(big.toString());
            assertNotNull(r);
            assertTrue(r.errors().size() <= Diagnostics.MAX_ERRORS + 1);
            check("a = \"$a $a\"\nb = $a$a$a\n" + OWN.replace("10.0.0.1", "$b"));
        });
    }

    /** Loads one text; true when it produced a config, which must then print and re-load. */
    private static boolean check(String text) {
        LoadResult r = ConfigLoader.parse(text, "fuzz.conf", Map.of(), TestConfigs.resolver());
        assertNotNull(r);
        if (!r.ok()) {
            assertFalse(r.errors().isEmpty());
            for (Diagnostic d : r.errors()) {
                assertNotNull(d.file());
                assertTrue(d.line() >= 0, d::toString);
                assertFalse(d.message().contains("internal error"), () -> d + "\n---\n" + text);
            }
            return false;
        }
        String printed = ConfigPrinter.print(r.config());
        LoadResult again = ConfigLoader.parse(printed, "printed.conf", Map.of(), TestConfigs.resolver());
        assertTrue(again.ok(), () -> again.errors() + "\n" + printed + "\n---\n" + text);
        assertEquals(r.config(), again.config(), printed);
        return true;
    }

    private static String mutate(String seed, Random rnd, int times) {
        String s = seed;
        for (int i = 0; i < times; i++) {
            s = switch (rnd.nextInt(8)) {
                case 0 -> lines(s, rnd, 0);
                case 1 -> lines(s, rnd, 1);
                case 2 -> lines(s, rnd, 2);
                case 3 -> tokens(s, rnd, 0);
                case 4 -> tokens(s, rnd, 1);
                case 5 -> tokens(s, rnd, 2);
                case 6 -> insert(s, rnd, JUNK[rnd.nextInt(JUNK.length)]);
                default -> insert(s, rnd, randomBytes(rnd));
            };
        }
        return s;
    }

    /** op 0 deletes a line, 1 duplicates one, 2 swaps two. */
    private static String lines(String s, Random rnd, int op) {
        List<String> l = new ArrayList<>(Arrays.asList(s.split("\n", -1)));
        int a = rnd.nextInt(l.size());
        int b = rnd.nextInt(l.size());
        switch (op) {
            case 0 -> l.remove(a);
            case 1 -> l.add(b, l.get(a));
            default -> {
                String t = l.get(a);
                l.set(a, l.get(b));
                l.set(b, t);
            }
        }
        return String.join("\n", l);
    }

    /** Same on whitespace-separated tokens, keeping the line structure roughly. */
    private static String tokens(String s, Random rnd, int op) {
        List<String> t = new ArrayList<>(Arrays.asList(s.split("(?<=\\s)|(?=\\s)")));
        if (t.isEmpty()) {
            return s;
        }
        int a = rnd.nextInt(t.size());
        int b = rnd.nextInt(t.size());
        switch (op) {
            case 0 -> t.remove(a);
            case 1 -> t.add(b, t.get(a));
            default -> {
                String x = t.get(a);
                t.set(a, t.get(b));
                t.set(b, x);
            }
        }
        return String.join("", t);
    }

    private static String insert(String s, Random rnd, String what) {
        int at = rnd.nextInt(s.length() + 1);
        return s.substring(0, at) + what + s.substring(at);
    }

    private static String randomBytes(Random rnd) {
        byte[] b = new byte[1 + rnd.nextInt(16)];
        rnd.nextBytes(b);
        return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
