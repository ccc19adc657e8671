package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    })
    void matches(String glob, String text, boolean expected) {
        assertEquals(expected, new Glob(glob).matches(text.replace("\\r\\n", "\r\n")));
    }
}
