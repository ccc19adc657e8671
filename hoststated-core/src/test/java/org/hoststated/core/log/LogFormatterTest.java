package org.hoststated.core.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class LogFormatterTest {

    static Stream<Arguments> rows() {
        IOException refused = new IOException("Connection refused");
        return Stream.of(
                Arguments.of("plain text", new Object[0], "plain text"),
                Arguments.of("host {}, state {} -> {}", new Object[] {"www1", "down", "up"}, "host www1, state down -> up"),
                Arguments.of("relay {}: connect failed", new Object[] {"www", refused}, "relay www: connect failed: Connection refused"),
                Arguments.of("connect failed: {}", new Object[] {refused}, "connect failed: Connection refused"),
                Arguments.of("too few {} {}", new Object[] {"a"}, "too few a {}"),
                Arguments.of("literal \\{} and {}", new Object[] {"x"}, "literal {} and x"),
                Arguments.of("header {}", new Object[] {"a\r\nforged: yes"}, "header a\\r\\nforged: yes"),
                Arguments.of("bell {}", new Object[] {"\u0007"}, "bell \\x07"),
                Arguments.of("c1 {}", new Object[] {"a\u0085b\u009b31m\u00a0\u00e9"}, "c1 a\\x85b\\x9b31m\u00a0\u00e9"),
                Arguments.of("utf-8 {}", new Object[] {"caf\u00e9 \u202egnp.exe\u2028x\u200b"},
                        "utf-8 caf\u00e9 \\u202egnp.exe\\u2028x\\u200b"),
                Arguments.of("blank {}", new Object[] {"a\u00adb\u3164c\ufe0fd\u115fe\uDB40\uDD00f"},
                        "blank a\\xadb\\u3164c\\ufe0fd\\u115fe\\U000e0100f"),
                Arguments.of("tags {}", new Object[] {"ok\udb40\udc41\ud83d\ude00"}, "tags ok\\U000e0041\ud83d\ude00"),
                Arguments.of("no message", new Object[] {new IllegalStateException()}, "no message: IllegalStateException"),
                Arguments.of("null arg {}", new Object[] {null}, "null arg null"));
    }

    @ParameterizedTest
    @MethodSource("rows")
    void formats(String pattern, Object[] args, String expected) {
        assertEquals(expected, LogFormatter.format(pattern, args, null).message());
    }

    @Test
    void throwableBeyondPlaceholdersIsTheCause() {
        IOException e = new IOException("boom");
        assertSame(e, LogFormatter.format("x {}", new Object[] {"a", e}, null).throwable());
        assertNull(LogFormatter.format("x {}", new Object[] {e}, null).throwable());
        assertSame(e, LogFormatter.format("x", null, e).throwable());
        assertEquals("x: boom", LogFormatter.format("x", null, e).message());
    }
}
