package org.hoststated.core.posix;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class AbstractSocketNameTest {
    private final String name = "hoststated-test-" + ProcessHandle.current().pid();

    @Test
    void oneHolderAtATimeAndTheNameIsFreeAgainOnceClosed() throws Exception {
        AbstractSocketName first = AbstractSocketName.tryBind(name);
        assertNotNull(first);
        try (AbstractSocketName other = AbstractSocketName.tryBind(name + "-other")) {
            assertNotNull(other, "another name is another lock");
        }
        assertNull(AbstractSocketName.tryBind(name), "held");
        first.close();
        try (AbstractSocketName again = AbstractSocketName.tryBind(name)) {
            assertNotNull(again, "free again");
        }
    }
}
