package org.hoststated.hce.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.stream.Stream;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.ScriptResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What the parent's answer about a script means for its host (the daemon run is HceChecksIT). */
class ScriptCheckTest {
    static Stream<Arguments> rows() {
        return Stream.of(
                Arguments.of(new ScriptResult(1, 1, 1, false), CheckResult.up(HostError.SCRIPT_OK)),
                Arguments.of(new ScriptResult(1, 1, 255, false), CheckResult.up(HostError.SCRIPT_OK)),
                Arguments.of(new ScriptResult(1, 1, 0, false), CheckResult.down(HostError.SCRIPT_FAIL)),
                // Killed by a signal; could not run (missing, refused, not executable).
                Arguments.of(new ScriptResult(1, 1, -1, false), CheckResult.down(HostError.SCRIPT_KILLED)),
                Arguments.of(new ScriptResult(1, 1, ScriptResult.NOT_RUN, false), CheckResult.down(HostError.SCRIPT_NOT_RUN)),
                Arguments.of(new ScriptResult(1, 1, -1, true), CheckResult.down(HostError.SCRIPT_TIMEOUT)),
                // No answer by the deadline: the parent had no room, no verdict on the host.
                Arguments.of(null, CheckResult.OVERLOAD));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("rows")
    void verdict(ScriptResult answer, CheckResult expected) {
        assertEquals(expected, ScriptCheck.verdict(answer));
    }
}
