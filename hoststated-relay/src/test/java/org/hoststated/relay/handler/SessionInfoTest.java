package org.hoststated.relay.handler;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.reflect.Field;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;
import org.hoststated.core.config.ForwardTarget;
import org.hoststated.core.config.ListenConfig;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ProcId;
import org.hoststated.relay.RelayCounters;
import org.junit.jupiter.api.Test;

class SessionInfoTest {
    static RelayContext context(RelayCounters counters) throws Exception {
        InetAddress lo = InetAddress.getLoopbackAddress();
        RelayConfig r = new RelayConfig(3, "www", new ListenConfig(lo, 80, false),
                new ForwardTarget(lo, "127.0.0.1", 8080, 0), false, 0, "default", 600, false);
        return new RelayContext(r, null, counters, null, null,
                new io.netty.channel.group.DefaultChannelGroup(io.netty.util.concurrent.GlobalEventExecutor.INSTANCE),
                true);
    }

    @Test
    void countsUntilCloseAndLogsTargetReasonAndLoggedValues() throws Exception {
        RelayCounters counters = new RelayCounters();
        RelayContext ctx = context(counters);
        EmbeddedChannel ch = new EmbeddedChannel();
        SessionInfo s = SessionInfo.open(ctx, ch);
        assertEquals(1, counters.active());
        assertEquals(1, ctx.sessions().size());
        s.target(new InetSocketAddress(InetAddress.getByName("10.0.0.2"), 80));
        s.logValue("Host", "a.example");
        RelaySession.setReason(ch, "closed by client");
        assertTrue(s.closeLine("www", 0, 0, RelaySession.reason(ch))
                .endsWith("-> 10.0.0.2:80, 0 ms, 0 bytes to server, 0 bytes to client, closed by client"
                        + " [Host: a.example]"), s.closeLine("www", 0, 0, "x"));
        ch.close();
        assertEquals(0, counters.active());
        assertEquals(1, counters.total());
        assertTrue(ctx.sessions().isEmpty());
        assertTrue(s.toCtl(0, System.nanoTime(), false).done());
    }

    /**
     * A restart of the session's clock (a connect under way, a request sent again) is what its
     * timer counts from, not data moving: {@code show sessions}' idle time goes on (probe AI).
     */
    @Test
    void aClockRestartedWithoutDataLeavesTheIdleTimeOfTheListing() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), ch);
        long before = s.lastActivityNanos();
        Thread.sleep(30);
        s.restartClock();
        assertTrue(s.lastActivityNanos() - before >= 30_000_000L, "the timer counts from the restart");
        assertTrue(s.toCtl(0, System.nanoTime(), false).idleMs() >= 30, "idle since the open");
        s.touch();
        assertTrue(s.toCtl(0, System.nanoTime(), false).idleMs() < 30);
    }

    /**
     * The duration and the bytes relayed each way come before the reason, whose text is free, at
     * a fixed place of the line; the listing has the same counts.
     */
    @Test
    void theCloseLineGivesDurationAndBytesEachWayBeforeTheReason() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), ch);
        s.target(new InetSocketAddress(InetAddress.getByName("10.0.0.2"), 80));
        s.relayedToServer(500);
        s.relayedToServer(17);
        s.relayedToClient(91_234);
        s.logValue("Host", "a.example");
        assertTrue(s.closeLine("www", 3, 1502, "server: Connection reset by peer")
                .endsWith(" (3 active), unknown -> 10.0.0.2:80, 1502 ms, 517 bytes to server, 91234 bytes to client,"
                        + " server: Connection reset by peer [Host: a.example]"),
                s.closeLine("www", 3, 1502, "server: Connection reset by peer"));
        assertEquals(517, s.toCtl(0, System.nanoTime(), false).toServer());
        assertEquals(91_234, s.toCtl(0, System.nanoTime(), false).toClient());
        ch.close();
    }

    /**
     * An IPv6 host a session left reads as the line writes hosts elsewhere, its ']' not escaped
     * as a logged value's is; the reason after it still is (probe AD).
     */
    @Test
    void aHostLeftIsWrittenAsElsewhereInTheLine() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), ch);
        s.movedOff("[::1]:35298: Connection refused");
        s.retried("[2001:db8::5]:80: odd] reason");
        assertTrue(s.closeLine("www", 0, 0, "done").endsWith(
                "done [moved off: [::1]:35298: Connection refused] [retried: [2001:db8::5]:80: odd\\] reason]"),
                s.closeLine("www", 0, 0, "done"));
        ch.close();
    }

    /** A relay name with the line's own punctuation is quoted; a plain one is not. */
    @Test
    void aRelayNameThatCouldPassForTheLinesFieldsIsQuoted() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        assertTrue(s.closeLine("api-v2.example:8080", 0, 0, "done").startsWith("relay api-v2.example:8080, session "));
        assertTrue(s.closeLine("a, session 9 (0 active), x -> y", 0, 0, "done")
                .startsWith("relay \"a, session 9 (0 active), x -> y\", session "));
        assertEquals("\"my \\\"web\\\\\"", SessionInfo.logName("my \"web\\"));
        assertEquals("\"\u00e9t\u00e9 web\"", SessionInfo.logName("\u00e9t\u00e9 web"));
        assertEquals("\u00e9t\u00e9", SessionInfo.logName("\u00e9t\u00e9"));
    }

    @Test
    void aLoggedValueCannotPassForTheLinesOwnText() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        s.logValue("X-Log", "a] [X-Forged: b");
        s.logValue("X-Esc", "\\x1b");
        s.logValue("/a]b", "q"); // a path log's key is the client's path (review CJ)
        assertTrue(s.closeLine("www", 0, 0, "done").endsWith("done [X-Log: a\\] [X-Forged: b] [X-Esc: \\\\x1b] [/a\\]b: q]"),
                s.closeLine("www", 0, 0, "done"));
    }

    @Test
    void loggedValuesAreBounded() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        for (int i = 0; i < 1000; i++) {
            s.logValue("X-Long", "y".repeat(100) + i);
        }
        assertTrue(s.closeLine("www", 0, 0, "done").length() < SessionInfo.MAX_LOGGED_CHARS + 200);
    }

    /** Review CL: the bound counts a control character as the escape the log writes (up to 10 characters). */
    @Test
    void loggedControlCharactersAreBoundedAsWritten() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        for (int i = 0; i < 100; i++) {
            s.logValue("X-Ctl", "\u0001\u202e".repeat(50) + i);
        }
        String line = s.closeLine("www", 0, 0, "done");
        assertTrue(line.length() < SessionInfo.MAX_LOGGED_CHARS + 200, line.length() + " characters");
        assertEquals(line, org.hoststated.core.log.Visible.escape(line));
        assertTrue(line.contains("[X-Ctl: \\x01\\u202e"), line.substring(0, 200));
    }

    /** Pairs that fill the bound exactly: a later one is cut, and the cut says so (probe A). */
    @Test
    void aPairAfterTheBoundIsFilledExactlyShowsTheCut() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        // " [X-Id: " + 119 characters + "]" = 128 characters; 16 of them fill 2048.
        for (int i = 0; i < 17; i++) {
            s.logValue("X-Id", String.format("%03d", i).repeat(40).substring(0, 119));
        }
        String line = s.closeLine("www", 0, 0, "done");
        assertTrue(line.endsWith("]..."), line);
    }

    /** Each request of a keep-alive session logs its fields: a pair the line has is not repeated. */
    @Test
    void aPairLoggedAgainIsWrittenOnce() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        for (int i = 0; i < 1000; i++) {
            s.logValue("SESSIONID", "abc");
            s.logValue("User-Agent", "wrk");
        }
        s.logValue("SESSIONID", "abd");
        s.logValue("SESSIONID", "ab");
        s.logValue("SESSIONID", "abc");
        assertTrue(s.closeLine("www", 0, 0, "done")
                .endsWith("done [SESSIONID: abc] [User-Agent: wrk] [SESSIONID: abd] [SESSIONID: ab]"),
                s.closeLine("www", 0, 0, "done"));
    }

    /** A value whose text looks like a pair does not stand for that pair: the pair is still logged. */
    @Test
    void aValueThatHoldsAPairsTextDoesNotHideThatPair() throws Exception {
        SessionInfo s = SessionInfo.open(context(new RelayCounters()), new EmbeddedChannel());
        s.logValue("X-Log", "x [User-Agent: evil");
        s.logValue("User-Agent", "evil");
        assertTrue(s.closeLine("www", 0, 0, "done").endsWith("done [X-Log: x [User-Agent: evil] [User-Agent: evil]"),
                s.closeLine("www", 0, 0, "done"));
    }

    /**
     * An IPv6 address is written in brackets and its short form, as {@code show sessions} writes
     * it: "0:0:0:0:0:0:0:1:34312" read as an address with a port of 1 or as one of 34312.
     */
    @Test
    void ipv6AddressesAreWrittenInBracketsInTheirShortForm() throws Exception {
        assertEquals("[::1]:34312", SessionInfo.address(new InetSocketAddress(InetAddress.getByName("::1"), 34312)));
        assertEquals("[2001:db8::2]:80",
                SessionInfo.address(new InetSocketAddress(InetAddress.getByName("2001:db8:0:0:0:0:0:2"), 80)));
        assertEquals("192.0.2.7:51234",
                SessionInfo.address(new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 51234)));
        assertEquals("[::1]:5354", new org.hoststated.relay.lb.TargetHost(1, "::1",
                new InetSocketAddress(InetAddress.getByName("::1"), 5354), 0).toString());
        assertEquals("dns.example:53", new org.hoststated.relay.lb.TargetHost(1, "dns.example",
                new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 53), 0).toString());
    }

    /**
     * Review CL: the ids last the relay's life and a DNS relay takes one per query; as an int
     * the id after 2^31 sessions was negative, its {@code show sessions} row a message the
     * parent refused (closing its channel to the engine, which it then restarted).
     */
    @Test
    void theSessionAfterTwoToThe31stHasARowTheParentTakes() throws Exception {
        RelayCounters counters = new RelayCounters();
        Field ids = RelayCounters.class.getDeclaredField("sessionIds");
        ids.setAccessible(true);
        ((AtomicLong) ids.get(counters)).set(Integer.MAX_VALUE);
        SessionInfo s = SessionInfo.open(context(counters), new EmbeddedChannel());
        CtlSession row = s.toCtl(0, System.nanoTime(), false).withRelay(3, "www", false);
        assertEquals(1L << 31, row.sessionId());
        ByteBuf frame = Unpooled.buffer();
        Messages.encode(Imsg.of(MessageType.CTL_SESSION, row), frame);
        assertDoesNotThrow(() -> Messages.decode(frame, ProcId.RELAY, ProcId.PARENT));
        frame.release();
    }
}
