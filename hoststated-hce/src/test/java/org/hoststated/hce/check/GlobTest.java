package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.api.Test;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** fnmatch(3) with flags 0, as send/expect uses it. */
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
    })
    void matches(String glob, String text, boolean expected) {
        assertEquals(expected, new Glob(glob).matches(text.replace("\\r\\n", "\r\n")));
    }

    /** The host writes the text: a pattern of many stars must not take time exponential in the stars. */
    @Test
    void manyStarsOnALongTextStayLinear() {
        String text = "ab".repeat(32 * 1024);
        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            for (int i = 0; i < 100; i++) {
                assertFalse(new Glob("*a*b*a*b*c*").matches(text));
            }
        });
    }
}
