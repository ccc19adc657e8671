package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.junit.jupiter.api.Test;

/** Monitors hear of a host's state when it is new to them, not when a restarted pfe says it again. */
class MonitorHostStatesTest {
    private static HostStatus st(int generation, int host, HostState state) {
        return new HostStatus(generation, host, state, HostError.NONE, 1, 1, 0, 0);
    }

    @Test
    void onlyANewStateIsNews() {
        MonitorHostStates m = new MonitorHostStates();
        assertTrue(m.isNews(st(1, 0, HostState.UP)));
        assertFalse(m.isNews(st(1, 0, HostState.UP)), "a restarted pfe's replay");
        assertTrue(m.isNews(st(1, 0, HostState.DOWN)));
        assertTrue(m.isNews(st(1, 1, HostState.DOWN)), "another host");
        assertTrue(m.isNews(st(2, 0, HostState.DOWN)), "a reload's ids are its own");
        assertFalse(m.isNews(st(2, 0, HostState.DOWN)));
        assertTrue(m.isNews(st(1, 0, HostState.UP)), "late, of an older generation: passed on");
        assertFalse(m.isNews(st(2, 0, HostState.DOWN)), "and not kept");
    }

    /** A host enabled again and up is news, though up is what monitors were last told (probe M). */
    @Test
    void aVerdictAfterAnEnableIsNews() {
        MonitorHostStates m = new MonitorHostStates();
        assertTrue(m.isNews(st(1, 0, HostState.UP)));
        assertTrue(m.isNews(st(1, 1, HostState.UP)));
        m.operatorChanged(MessageType.HOST_DISABLE, new ObjId(1, 0));
        assertTrue(m.isNews(st(1, 0, HostState.UP)));
        assertFalse(m.isNews(st(1, 0, HostState.UP)));
        assertFalse(m.isNews(st(1, 1, HostState.UP)), "another host: a restarted pfe's replay is no news");
    }
}
