package org.hoststated.hce;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The {@code retry N} rule of SPEC section 4, one result sequence per row. */
class HostHealthTest {

    /** retry, results (u = up, d = down, ? = unknown), expected states, check_cnt, up_cnt. */
    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(0, "u", "u", 1, 1),
                Arguments.of(0, "d", "d", 1, 0),
                Arguments.of(0, "udu", "udu", 3, 2),
                // The counter starts at 0: a never-checked host goes down at once, retry or not.
                Arguments.of(2, "d", "d", 1, 0),
                Arguments.of(2, "dd", "dd", 2, 0),
                // After an up, 2 failures are absorbed (state kept) and the 3rd marks down.
                Arguments.of(2, "uddd", "uuud", 4, 3),
                Arguments.of(2, "udddd", "uuudd", 5, 3),
                // Any other outcome resets the counter to N.
                Arguments.of(2, "uddudddd", "uuuuuudd", 8, 6),
                Arguments.of(1, "ududd", "uuuud", 5, 4),
                // After a down the counter is N again: next failures are absorbed as down.
                Arguments.of(1, "dud", "duu", 3, 2),
                // Unknown results do not count and reset the counter.
                Arguments.of(0, "?", "?", 0, 0),
                Arguments.of(1, "u?d", "u??", 1, 1),
                Arguments.of(1, "u?dd", "u??d", 2, 1),
                Arguments.of(3, "udddu", "uuuuu", 5, 5));
    }

    @ParameterizedTest(name = "retry {0}: {1} -> {2}")
    @MethodSource("rows")
    void retryRule(int retry, String results, String states, int checkCount, int upCount) {
        HostHealth h = new HostHealth(retry);
        StringBuilder seen = new StringBuilder();
        for (char c : results.toCharArray()) {
            h.apply(state(c), HostError.NONE);
            seen.append(letter(h.state()));
        }
        assertEquals(states, seen.toString());
        assertEquals(checkCount, h.checkCount(), "check_cnt");
        assertEquals(upCount, h.upCount(), "up_cnt");
    }

    @Test
    void retryCounterAndChangeFlag() {
        HostHealth h = new HostHealth(2);
        assertEquals(0, h.retryCount());
        assertEquals(true, h.apply(HostState.UP, HostError.TCP_CONNECT_OK));
        assertEquals(2, h.retryCount());
        assertEquals(false, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(1, h.retryCount());
        assertEquals(HostError.TCP_CONNECT_REFUSED, h.error());
        assertEquals(false, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(true, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(HostState.UP, h.lastState());
        assertEquals(2, h.retryCount());
    }

    @Test
    void availability() {
        HostHealth h = new HostHealth(0);
        assertEquals("", h.availability());
        h.apply(HostState.UP, HostError.NONE);
        h.apply(HostState.UP, HostError.NONE);
        h.apply(HostState.DOWN, HostError.NONE);
        assertEquals("66.67%", h.availability());
    }

    @Test
    void carriedOverKeepsStateAndCounters() {
        HostHealth h = new HostHealth(3);
        h.apply(HostState.UP, HostError.NONE);
        HostHealth c = h.carriedOver(1);
        assertEquals(HostState.UP, c.state());
        assertEquals(1, c.checkCount());
        assertEquals(1, c.retryCount());
    }

    /**
     * A reload that raises a host's retry gives it the difference: the failures it has had in
     * a row still count (probe M of session 58: given retry 2, it went down at its next failure).
     */
    @Test
    void aRetryRaisedByAReloadProtectsTheHostAtOnce() {
        HostHealth h = new HostHealth(0);
        h.apply(HostState.UP, HostError.NONE);
        HostHealth raised = h.carriedOver(2);
        assertEquals(2, raised.retryCount());
        assertFalse(raised.apply(HostState.DOWN, HostError.TCP_CONNECT_FAIL));
        assertFalse(raised.apply(HostState.DOWN, HostError.TCP_CONNECT_FAIL));
        assertTrue(raised.apply(HostState.DOWN, HostError.TCP_CONNECT_FAIL), "the third failure in a row");
        HostHealth used = new HostHealth(3);
        used.apply(HostState.UP, HostError.NONE);
        used.apply(HostState.DOWN, HostError.TCP_CONNECT_FAIL);
        used.apply(HostState.DOWN, HostError.TCP_CONNECT_FAIL);
        assertEquals(3, used.carriedOver(5).retryCount(), "two of five used");
        assertEquals(0, used.carriedOver(1).retryCount(), "lowered below what is used");
        assertEquals(0, new HostHealth(0).carriedOver(2).retryCount(), "never checked: down at its first failure");
    }

    private static HostState state(char c) {
        return switch (c) {
            case 'u' -> HostState.UP;
            case 'd' -> HostState.DOWN;
            default -> HostState.UNKNOWN;
        };
    }

    private static char letter(HostState s) {
        return switch (s) {
            case UP -> 'u';
            case DOWN -> 'd';
            case UNKNOWN -> '?';
        };
    }

    /** What pfe kept is taken over without a transition; the first confirming check is none either. */
    @Test
    void keptStateIsTakenOverWithoutATransition() {
        HostHealth h = HostHealth.kept(2, HostState.UP, HostError.TCP_CONNECT_OK, 10, 9, 1000);
        assertEquals(HostState.UP, h.state());
        assertEquals(HostState.UP, h.lastState());
        assertEquals(2, h.retryCount(), "the budget is bounded by this configuration's retry");
        assertEquals("90.00%", h.availability());
        assertEquals(false, h.apply(HostState.UP, HostError.TCP_CONNECT_OK));
        assertEquals(11, h.checkCount());
        assertEquals(10, h.upCount());
        // The kept retry budget absorbs failures as it did in the hce before.
        assertEquals(false, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(false, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(true, h.apply(HostState.DOWN, HostError.TCP_CONNECT_REFUSED));
        assertEquals(HostState.UP, h.lastState());
    }
}
