package org.hoststated.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** fnmatch(3) with flags 0, as send/expect uses it, and with case folding, as protocol rules do. */
class GlobTest {
    @ParameterizedTest(name = "{0} ~ {1}: {2}")
    @CsvSource(delimiter = '|', value = {
        "220*|220 mail ready|true",
        "220*|221 bye|false",
        "*OK*|+OK hello|true",
        "?OK|+OK|true",
        "?OK|++OK|false",
        "[+-]OK|-OK|true",
        "[!+]OK|+OK|false",
        "[a-c]x|bx|true",
        "[a-c]x|dx|false",
        "a\\*b|a*b|true",
        "a\\*b|axb|false",
        "*/*|a/b|true",
        "SSH-2.0-*|SSH-2.0-OpenSSH_9.2\\r\\n|true",
        "a.b|a.b|true",
        "a.b|axb|false",
        "[]x]|]|true",
        "[|[|true",
        "(x)|(x)|true",
        "*a*b*c|xaybzc|true",
        "*a*b*c|xaybzcd|false",
        "a*|a|true",
        "**|''|true",
        "[\\]]x|]x|true",
        "[a\\-c]|-|true",
        "[a\\-c]|b|false",
        // POSIX named classes, as fnmatch(3) has them (probe M of session 58: never matched).
        "SSH-[[:digit:]].0-*|SSH-2.0-OpenSSH_9.0|true",
        "[[:digit:]]|x|false",
        "[![:digit:]]|x|true",
        "x[[:space:]]y|x\ty|true",
        "[[:alpha:][:digit:]_]*|a_1|true",
        "[[:alpha:][:digit:]_]*|-a|false",
        "[[:upper:]]|a|false",
        "[[:xdigit:]][[:punct:]]|F!|true",
        "[[:nosuch:]]|a|false",
        "[[:digit:]|[|false",
    })
    void matches(String glob, String text, boolean expected) {
        assertEquals(expected, Glob.matches(glob, text.replace("\\r\\n", "\r\n")));
    }

    @ParameterizedTest
    @CsvSource({"*bot*, GoogleBot/2.1, true", "*bot*, firefox, false", "a?c, ABC, true", "a?c, ac, false",
            "/admin*, /ADMIN/x, true", "[a-c]x, Bx, true", "[!a-c]x, bx, false", "[!a-c]x, dx, true",
            "[A-C]x, bX, true", "\\*, *, true", "\\*, a, false", "*.css, /s/a.css, true", "*.css, /s/a.cssx, false",
            "*, '', true", "'', '', true", "'', a, false", "a*b*c, aXbYbZc, true", "[ab, [ab, true",
            // Beyond ASCII too (a filter on CAFÉ let café through); Latin-1 and Greek.
            "[[:upper:]]x, ax, true", "[[:lower:]], Q, true", "CAFÉ, café, true", "ÜBER*, über-x, true", "Σ?Σ, σxσ, true", "[À-Þ]x, éx, true", "café, cafe, false"})
    void matchesIgnoringCase(String pattern, String text, boolean expected) {
        assertEquals(expected, Glob.matchesIgnoringCase(pattern, text));
    }

    @Test
    void caseCountsUnlessIgnored() {
        assertFalse(Glob.matches("220*OK", "220 ok"));
        assertEquals(true, Glob.matchesIgnoringCase("220*OK", "220 ok"));
    }

    /** The host writes the text: a pattern of many stars must not take time exponential in the stars. */
    @Test
    void manyStarsOnALongTextStayLinear() {
        String text = "ab".repeat(32 * 1024);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 100; i++) {
                assertFalse(Glob.matches("*a*b*a*b*c*", text));
            }
        });
    }
}
