package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The glob matched as its text arrives gives {@link Glob#matches}'s answer at every length. */
class GlobMatcherTest {
    @ParameterizedTest(name = "{0} ~ {1}")
    @CsvSource(delimiter = '|', value = {
        "220*|220 mail ready", "?OK|++OK", "[+-]OK|-OK", "[!+]OK|+OK", "[a-c]x|bx", "a\\*b|a*b",
        "*a*b*c|xaybzcd", "[]x]|]", "[|[", "**|''", "[\\]]x|]x", "[a\\-c]|-", "[a\\-c]|b", "a\\|a\\",
        "*220 ok*|xx220 ok\\r\\nmore", "abc|abcd",
    })
    void agreesWithGlobOnEveryPrefix(String pattern, String text) {
        assertAgrees(pattern, text.replace("\\r\\n", "\r\n"));
    }

    @Test
    void agreesWithGlobOnRandomPatterns() {
        Random r = new Random(1);
        String patternChars = "ab**?[]!^-\\";
        String textChars = "ab]-\\*[!";
        for (int i = 0; i < 20_000; i++) {
            assertAgrees(random(r, patternChars, 8), random(r, textChars, 12));
        }
    }

    @Test
    void aMatchCanComeAndGo() {
        GlobMatcher.Run run = new GlobMatcher("ab").start();
        run.feed('a');
        assertFalse(run.matches());
        run.feed('b');
        assertTrue(run.matches());
        run.feed('c');
        assertFalse(run.matches());
    }

    private static String random(Random r, String chars, int maxLength) {
        StringBuilder sb = new StringBuilder();
        for (int n = r.nextInt(maxLength + 1); n > 0; n--) {
            sb.append(chars.charAt(r.nextInt(chars.length())));
        }
        return sb.toString();
    }

    private static void assertAgrees(String pattern, String text) {
        GlobMatcher.Run run = new GlobMatcher(pattern).start();
        assertEquals(Glob.matches(pattern, ""), run.matches(), () -> pattern + " on the empty text");
        for (int i = 0; i < text.length(); i++) {
            run.feed(text.charAt(i));
            String prefix = text.substring(0, i + 1);
            assertEquals(Glob.matches(pattern, prefix), run.matches(), () -> pattern + " on " + prefix);
        }
    }
}
