package org.hoststated.relay.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** fnmatch with case folding, as protocol nodes use it. */
class GlobTest {
    @ParameterizedTest
    @CsvSource({"*bot*, GoogleBot/2.1, true", "*bot*, firefox, false", "a?c, ABC, true", "a?c, ac, false",
            "/admin*, /ADMIN/x, true", "[a-c]x, Bx, true", "[!a-c]x, bx, false", "[!a-c]x, dx, true",
            "\\*, *, true", "\\*, a, false", "*.css, /s/a.css, true", "*.css, /s/a.cssx, false", "*, '', true",
            "'', '', true", "'', a, false", "a*b*c, aXbYbZc, true", "[ab, [ab, true"})
    void matches(String pattern, String text, boolean expected) {
        assertEquals(expected, Glob.matches(pattern, text));
    }
}
