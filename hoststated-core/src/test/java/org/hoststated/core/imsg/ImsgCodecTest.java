package org.hoststated.core.imsg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.hoststated.core.msg.ConfChunk;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.AnswerCredit;
import org.hoststated.core.msg.CtlId;
import org.hoststated.core.msg.EngineError;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.Wire;
import org.hoststated.core.msg.CtlTable;
import org.hoststated.core.msg.Demote;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Flag;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Messages;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.ResolvedName;
import org.hoststated.core.msg.ScriptRequest;
import org.hoststated.core.msg.ScriptResult;
import org.hoststated.core.msg.ServiceStatus;
import org.hoststated.core.msg.SummaryRequest;
import org.hoststated.core.msg.Text;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The frame layer and every payload codec: round trips, and hostile input that must close. */
class ImsgCodecTest {
    /** Thousands of expected "bad message" lines would bury the build's output. */
    @org.junit.jupiter.api.BeforeAll
    static void quietLog() {
        org.hoststated.core.log.LogConfig.init("hoststated", "test", false, false,
                java.nio.file.Path.of("/nonexistent/hoststated-test-log"));
    }

    /** One sample payload per codec type. */
    static final Map<Class<?>, Object> SAMPLES = samples();

    static Map<Class<?>, Object> samples() {
        try {
            Map<Class<?>, Object> m = new java.util.HashMap<>();
            m.put(Empty.class, Empty.INSTANCE);
            m.put(Text.class, new Text("table web: no such table — ünïcode"));
            m.put(EngineError.class, new EngineError(7, "relay www: ssl: no key — ünïcode"));
            m.put(Flag.class, new Flag(true));
            m.put(AnswerCredit.class, new AnswerCredit(512));
            m.put(SummaryRequest.class, new SummaryRequest(SummaryRequest.View.RELAYS));
            m.put(Generation.class, new Generation(7));
            m.put(ObjId.class, new ObjId(3, 42));
            m.put(CtlId.class, new CtlId(CtlId.NO_ID, "www"));
            m.put(HostStatus.class, new HostStatus(2, 5, HostState.DOWN, HostError.TCP_CONNECT_TIMEOUT, 10, 9, 1, 201));
            m.put(CtlService.class, new CtlService(1, "www", ServiceStatus.ACTIVE_BACKUP));
            m.put(CtlTable.class, new CtlTable(2, "web:80", false, 1, 3));
            m.put(CtlHost.class, new CtlHost(4, 2, "10.0.0.1", HostState.UP, false, 42, 41, 1, HostError.TCP_CONNECT_OK));
            m.put(CtlRelay.class, new CtlRelay(0, "sshgw", true, CtlRelay.Down.REFUSED));
            m.put(CtlSession.class, new CtlSession(1, "w".repeat(Wire.MAX_NAME), true, 0, 17, InetAddress.getByName("2001:db8::7"), 55434, InetAddress.getByName("2001:db8::1"), 80, false, 1500, 20, 517, 91_234));
            m.put(RelayStatistics.class, new RelayStatistics(1, 0, 100, 2, 3, 40, 90, 1, 2, 3));
            m.put(ScriptRequest.class, new ScriptRequest(1, 3, "/usr/local/bin/check", "www1", 5000));
            m.put(ScriptResult.class, new ScriptResult(1, 3, 1, false));
            m.put(Demote.class, new Demote("carp", -1));
            m.put(ConfChunk.class, new ConfChunk(1, "table web {\n\tcheck tcp\n}\n"));
            m.put(ResolvedName.class, new ResolvedName(1, "www.example.org",
                    List.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("2001:db8::1"))));
            m.put(TlsKeyPair.class, new TlsKeyPair(1, 0, "CERT".getBytes(), "KEY".getBytes()));
            return m;
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static Stream<MessageType> types() {
        return Stream.of(MessageType.values());
    }

    /** A channel on which {@code t} may travel. */
    static ProcId[] route(MessageType t) {
        for (ProcId from : ProcId.values()) {
            for (ProcId to : ProcId.values()) {
                if (t.allowed(from, to)) {
                    return new ProcId[] {from, to};
                }
            }
        }
        throw new AssertionError(t + " has no route");
    }

    static ByteBuf frame(Imsg m) {
        ByteBuf b = Unpooled.buffer();
        Messages.encode(m, b);
        return b;
    }

    static EmbeddedChannel reader(ProcId from, ProcId to) {
        ImsgErrors errors = new ImsgErrors(to, from);
        return new EmbeddedChannel(new ImsgFrameDecoder(to, from, errors), new ImsgDecoder(to, from, errors));
    }

    @ParameterizedTest
    @MethodSource("types")
    void every_type_round_trips_through_the_pipeline(MessageType t) {
        Object payload = SAMPLES.get(t.codec().type());
        ProcId[] r = route(t);
        EmbeddedChannel ch = reader(r[0], r[1]);
        Imsg sent = new Imsg(t, 9, 1234, payload);
        ByteBuf f = frame(sent);
        // Split the frame in two to exercise reassembly.
        int half = f.readableBytes() / 2;
        assertFalse(ch.writeInbound(f.readRetainedSlice(half)));
        assertTrue(ch.writeInbound(f));
        Imsg got = ch.readInbound();
        assertEquals(t, got.type());
        assertEquals(9, got.peerId());
        assertEquals(1234, got.pid());
        if (payload instanceof TlsKeyPair k) {
            TlsKeyPair g = got.payload(TlsKeyPair.class);
            assertEquals(new String(k.certificatePem()), new String(g.certificatePem()));
        } else {
            assertEquals(payload, got.payload());
        }
        assertFalse(ch.finishAndReleaseAll());
    }

    @ParameterizedTest
    @EnumSource(MessageType.class)
    void a_type_is_refused_on_a_channel_it_may_not_use(MessageType t) {
        Object payload = SAMPLES.get(t.codec().type());
        for (ProcId from : ProcId.values()) {
            for (ProcId to : ProcId.values()) {
                if (t.allowed(from, to) || from == to) {
                    continue;
                }
                EmbeddedChannel ch = reader(from, to);
                ch.writeInbound(frame(new Imsg(t, 0, 1, payload)));
                assertNull(ch.readInbound(), t + " accepted from " + from + " to " + to);
                assertFalse(ch.isActive(), "channel stays open after " + t + " from " + from + " to " + to);
                ch.finishAndReleaseAll();
            }
        }
    }

    /** A summary request names a view pfe knows, or none (the whole summary); anything else is refused. */
    @Test
    void a_summary_request_without_a_view_is_the_whole_summary_and_an_unknown_view_is_malformed() throws Exception {
        ByteBuf none = Unpooled.buffer();
        none.writeInt(Messages.HEADER).writeShort(MessageType.CTL_SHOW_SUM.id()).writeShort(0).writeInt(0).writeInt(0);
        assertEquals(SummaryRequest.SUMMARY,
                Messages.decode(none, ProcId.CONTROL, ProcId.PARENT).payload(SummaryRequest.class));
        none.release();
        ByteBuf odd = Unpooled.buffer();
        odd.writeInt(Messages.HEADER + 1).writeShort(MessageType.CTL_SHOW_SUM.id()).writeShort(0).writeInt(0)
                .writeInt(0).writeByte(7);
        assertThrows(MalformedMessageException.class, () -> Messages.decode(odd, ProcId.CONTROL, ProcId.PARENT));
        odd.release();
    }

    @Test
    void truncated_payloads_are_malformed() {
        for (MessageType t : MessageType.values()) {
            ByteBuf f = frame(new Imsg(t, 0, 1, SAMPLES.get(t.codec().type())));
            int payloadLen = f.readableBytes() - Messages.HEADER;
            ProcId[] r = route(t);
            // An empty CTL_SHOW_SUM is whole: relayd's clients send no view (the whole summary).
            int most = t == MessageType.CTL_SHOW_SUM ? payloadLen - 1 : payloadLen;
            for (int cut = 1; cut <= most; cut++) {
                ByteBuf shorter = f.copy(0, f.readableBytes() - cut);
                shorter.setInt(0, shorter.readableBytes());
                assertThrows(MalformedMessageException.class, () -> Messages.decode(shorter, r[0], r[1]),
                        t + " cut by " + cut);
                shorter.release();
            }
            f.release();
        }
    }

    @Test
    void extra_payload_bytes_are_malformed() {
        ByteBuf f = frame(Imsg.of(MessageType.HOST_STATUS, SAMPLES.get(HostStatus.class)));
        f.writeByte(0);
        f.setInt(0, f.readableBytes());
        assertThrows(MalformedMessageException.class, () -> Messages.decode(f, ProcId.HCE, ProcId.PFE));
        f.release();
    }

    @Test
    void an_oversized_length_closes_the_channel_before_anything_is_buffered() {
        EmbeddedChannel ch = reader(ProcId.HCE, ProcId.PFE);
        ByteBuf b = Unpooled.buffer();
        b.writeInt(Integer.MAX_VALUE).writeShort(MessageType.HOST_STATUS.id()).writeShort(0).writeInt(0).writeInt(0);
        ch.writeInbound(b);
        assertNull(ch.readInbound());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    /**
     * A length within the frame bound but beyond its type's payload bound closes the channel as
     * soon as the header is in: a control client that sent the header of a request with no
     * payload and a length of half a megabyte had the parent buffer that much, and a hundred
     * such clients took the parent's direct memory (its other clients were then closed).
     */
    @Test
    void a_length_beyond_the_types_bound_closes_the_channel_before_the_payload_is_buffered() {
        EmbeddedChannel ch = reader(ProcId.CONTROL, ProcId.PARENT);
        ByteBuf b = Unpooled.buffer();
        b.writeInt(Messages.MAX_FRAME).writeShort(MessageType.CTL_SHOW_SUM.id()).writeShort(0).writeInt(0).writeInt(0);
        ch.writeInbound(b);
        assertNull(ch.readInbound());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    /**
     * A type the peer may not send closes the channel as soon as the header is in, whatever its
     * bound: a control client claiming a key pair (512 KiB) had the parent buffer up to 1 MiB
     * for it, 256 such clients far past the parent's memory (review S).
     */
    @Test
    void a_type_the_peer_may_not_send_closes_the_channel_before_the_payload_is_buffered() {
        EmbeddedChannel ch = reader(ProcId.CONTROL, ProcId.PARENT);
        ByteBuf b = Unpooled.buffer();
        b.writeInt(Messages.HEADER + MessageType.RECONF_KEYPAIR.maxPayload()).writeShort(MessageType.RECONF_KEYPAIR.id())
                .writeShort(0).writeInt(0).writeInt(0);
        ch.writeInbound(b);
        assertNull(ch.readInbound());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void out_of_range_fields_are_malformed() {
        ByteBuf f = frame(Imsg.of(MessageType.HOST_STATUS, SAMPLES.get(HostStatus.class)));
        f.setByte(Messages.HEADER + 8, 99); // the state byte
        assertThrows(MalformedMessageException.class, () -> Messages.decode(f, ProcId.HCE, ProcId.PFE));
        f.release();
        ByteBuf g = frame(Imsg.of(MessageType.CTL_FAIL, new Text("x")));
        g.setByte(Messages.HEADER + 4, 0xff); // not UTF-8
        assertThrows(MalformedMessageException.class, () -> Messages.decode(g, ProcId.PFE, ProcId.PARENT));
        g.release();
    }

    /**
     * A KEPT_STATE that no pfe could hold (more ups than checks, a negative id or count, a state
     * or reason out of range) is refused by the codec, before hce adopts anything of it.
     */
    @ParameterizedTest
    @MethodSource("impossibleKeptStates")
    void impossible_kept_states_are_malformed(HostStatus bad, String why) {
        ByteBuf f = frame(Imsg.of(MessageType.KEPT_STATE, bad));
        MalformedMessageException e = assertThrows(MalformedMessageException.class,
                () -> Messages.decode(f, ProcId.PFE, ProcId.HCE));
        assertTrue(e.getMessage().contains(why), e.getMessage());
        f.release();
    }

    static Stream<org.junit.jupiter.params.provider.Arguments> impossibleKeptStates() {
        return Stream.of(
                org.junit.jupiter.params.provider.Arguments.of(
                        new HostStatus(1, 0, HostState.DOWN, HostError.NONE, 3, 4, 0, 0), "up count exceeds check count"),
                org.junit.jupiter.params.provider.Arguments.of(
                        new HostStatus(1, -1, HostState.UP, HostError.NONE, 3, 3, 0, 0), "host id out of range"),
                org.junit.jupiter.params.provider.Arguments.of(
                        new HostStatus(1, 0, HostState.UP, HostError.NONE, -1, 3, 0, 0), "check count out of range"));
    }

    @Test
    void a_kept_state_with_an_unknown_state_or_error_is_malformed() {
        ByteBuf f = frame(Imsg.of(MessageType.KEPT_STATE, SAMPLES.get(HostStatus.class)));
        f.setByte(Messages.HEADER + 8, HostState.values().length); // the state byte
        assertThrows(MalformedMessageException.class, () -> Messages.decode(f, ProcId.PFE, ProcId.HCE));
        f.setByte(Messages.HEADER + 8, 0);
        f.setByte(Messages.HEADER + 9, 0xff); // the error byte
        assertThrows(MalformedMessageException.class, () -> Messages.decode(f, ProcId.PFE, ProcId.HCE));
        f.release();
    }

    /** Only pfe may tell hce what it kept: from any other peer, the channel closes. */
    @Test
    void a_kept_state_from_anyone_but_pfe_closes_the_channel() {
        for (ProcId from : List.of(ProcId.PARENT, ProcId.RELAY, ProcId.CONTROL)) {
            EmbeddedChannel ch = reader(from, ProcId.HCE);
            ch.writeInbound(frame(Imsg.of(MessageType.KEPT_STATE, SAMPLES.get(HostStatus.class))));
            assertNull(ch.readInbound());
            assertFalse(ch.isActive());
            ch.finishAndReleaseAll();
        }
        EmbeddedChannel ch = reader(ProcId.HCE, ProcId.PFE);
        ch.writeInbound(frame(Imsg.of(MessageType.KEPT_STATE_END, new Generation(1))));
        assertNull(ch.readInbound());
        assertFalse(ch.isActive());
        ch.finishAndReleaseAll();
    }

    @Test
    void random_bytes_never_hang_or_exhaust_memory() {
        Random rnd = new Random(4242);
        Map<ProcId, Integer> closed = new EnumMap<>(ProcId.class);
        for (int i = 0; i < 5000; i++) {
            ProcId from = ProcId.values()[rnd.nextInt(ProcId.values().length)];
            ProcId to = from == ProcId.PARENT ? ProcId.PFE : ProcId.PARENT;
            EmbeddedChannel ch = reader(from, to);
            byte[] junk = new byte[rnd.nextInt(600)];
            rnd.nextBytes(junk);
            if (i % 3 == 0 && junk.length >= 16) {
                // A plausible header with a small length, so that payload decoders see garbage too.
                Unpooled.wrappedBuffer(junk).setInt(0, junk.length).setShort(4, rnd.nextInt(70)).setShort(6, 0);
            }
            ch.writeInbound(Unpooled.wrappedBuffer(junk));
            Object m;
            while ((m = ch.readInbound()) != null) {
                assertTrue(m instanceof Imsg);
            }
            if (!ch.isActive()) {
                closed.merge(from, 1, Integer::sum);
            }
            ch.finishAndReleaseAll();
        }
        assertFalse(closed.isEmpty());
    }

    @Test
    void sending_beyond_a_types_bound_is_refused_at_the_source() {
        ConfChunk big = new ConfChunk(1, "x".repeat(ConfChunk.MAX_CHUNK * 4 + 1));
        assertThrows(IllegalArgumentException.class, () -> frame(Imsg.of(MessageType.RECONF_CONF, big)));
    }

    @Test
    void every_type_has_a_sample_and_a_unique_id() {
        java.util.Set<Integer> ids = new java.util.HashSet<>();
        for (MessageType t : MessageType.values()) {
            assertTrue(SAMPLES.containsKey(t.codec().type()), "no sample for " + t.codec().type());
            assertTrue(ids.add(t.id()));
        }
    }
}
