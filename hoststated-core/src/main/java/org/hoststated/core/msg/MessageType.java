package org.hoststated.core.msg;

import static org.hoststated.core.msg.ProcId.CONTROL;
import static org.hoststated.core.msg.ProcId.HCE;
import static org.hoststated.core.msg.ProcId.PARENT;
import static org.hoststated.core.msg.ProcId.PFE;
import static org.hoststated.core.msg.ProcId.RELAY;

import java.util.EnumSet;
import java.util.Set;

/**
 * Every message the processes exchange, with its permanent wire id, its payload codec, the
 * largest payload it may carry, and the channels (sender to receiver) it may travel on. A
 * reader refuses a type not allowed from its peer before decoding the payload.
 *
 * <p>Ids are permanent: never renumber, never reuse a retired id. Names follow the original's
 * {@code enum imsg_type} (hoststated.h).
 */
public enum MessageType {
    // Replies and events towards a control client (pfe answers, the parent forwards).
    CTL_OK(1, Empty.CODEC, 0, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_FAIL(2, Text.CODEC, 20_000, r(PFE, PARENT), r(PARENT, CONTROL)),
    /**
     * A warning about the request's outcome, before its CTL_OK or CTL_FAIL: what a reload's
     * files gave warnings of (an expired certificate), which only the log said (probe AA).
     */
    CTL_WARNING(73, Text.CODEC, 20_000, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_END(3, Empty.CODEC, 0, r(PFE, PARENT), r(RELAY, PARENT), r(PARENT, CONTROL)),
    CTL_SERVICE(4, CtlService.CODEC, 1024, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_TABLE(5, CtlTable.CODEC, 1024, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_HOST(6, CtlHost.CODEC, 1024, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_RELAY(7, CtlRelay.CODEC, 1024, r(PFE, PARENT), r(PARENT, CONTROL)),
    /** A live session: the relay engine answers CTL_SHOW_SESSIONS with these, then CTL_END. */
    CTL_SESSION(8, CtlSession.CODEC, 512, r(RELAY, PARENT), r(PARENT, CONTROL)),
    CTL_STATISTICS(23, RelayStatistics.CODEC, 128, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_TABLE_CHANGED(9, ObjId.CODEC, 8, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_PULL_RULESET(10, ObjId.CODEC, 8, r(PFE, PARENT), r(PARENT, CONTROL)),
    CTL_PUSH_RULESET(11, ObjId.CODEC, 8, r(PFE, PARENT), r(PARENT, CONTROL)),

    // Requests from a control client; the parent forwards those pfe answers.
    CTL_SHOW_SUM(12, SummaryRequest.CODEC, 1, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_SERVICE_ENABLE(13, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_SERVICE_DISABLE(14, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_TABLE_ENABLE(15, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_TABLE_DISABLE(16, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_HOST_ENABLE(17, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_HOST_DISABLE(18, CtlId.CODEC, 300, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_SHUTDOWN(19, Empty.CODEC, 0, r(CONTROL, PARENT)),
    CTL_RELOAD(20, Empty.CODEC, 0, r(CONTROL, PARENT)),
    CTL_POLL(21, Empty.CODEC, 0, r(CONTROL, PARENT), r(PARENT, PFE), r(PFE, HCE)),
    CTL_NOTIFY(22, Empty.CODEC, 0, r(CONTROL, PARENT), r(PARENT, PFE)),
    CTL_LOG_VERBOSE(24, Flag.CODEC, 1, r(CONTROL, PARENT)),
    /** Sessions are the relay engine's: the parent forwards this one there, not to pfe. */
    CTL_SHOW_SESSIONS(25, Empty.CODEC, 0, r(CONTROL, PARENT), r(PARENT, RELAY)),
    /**
     * pfe may send this many more rows of the {@code show summary} answer to the client whose
     * number is the peer id; it sends none before the first. A credit for an answer pfe does
     * not hold (finished, dropped, or never begun) is ignored.
     */
    CTL_ANSWER_CREDIT(26, AnswerCredit.CODEC, 4, r(PARENT, PFE)),
    /** The client whose number is the peer id has gone: pfe stops making its answer. */
    CTL_ANSWER_DROP(27, Empty.CODEC, 0, r(PARENT, PFE)),

    // Notices from pfe to hce and the relay engine (state changes made by control commands).
    SERVICE_ENABLE(40, ObjId.CODEC, 8, r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    SERVICE_DISABLE(41, ObjId.CODEC, 8, r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    TABLE_ENABLE(42, ObjId.CODEC, 8, r(PFE, HCE), r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    TABLE_DISABLE(43, ObjId.CODEC, 8, r(PFE, HCE), r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    HOST_ENABLE(44, ObjId.CODEC, 8, r(PFE, HCE), r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    HOST_DISABLE(45, ObjId.CODEC, 8, r(PFE, HCE), r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),

    // Check results: hce to pfe; pfe to the relay engine, and to monitor clients via the parent.
    HOST_STATUS(46, HostStatus.CODEC, 64, r(HCE, PFE), r(PFE, RELAY), r(PFE, PARENT), r(PARENT, CONTROL)),
    /** hce starts a check round; pfe's cue to push state to the kernel and to monitors. */
    SYNC(47, Generation.CODEC, 4, r(HCE, PFE), r(PFE, PARENT), r(PARENT, CONTROL)),
    DEMOTE(49, Demote.CODEC, 64, r(PFE, PARENT)),
    STATISTICS(50, RelayStatistics.CODEC, 128, r(RELAY, PFE)),
    SCRIPT(51, ScriptRequest.CODEC, 2048, r(HCE, PARENT)),
    SCRIPT_RESULT(52, ScriptResult.CODEC, 16, r(PARENT, HCE)),

    // Configuration, parent to every engine: BEGIN, names, CONF chunks, key pairs, END.
    RECONF_BEGIN(53, Generation.CODEC, 4, r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    RECONF_CONF(54, ConfChunk.CODEC, ConfChunk.MAX_CHUNK * 4 + 8,
            r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    RECONF_NAME(55, ResolvedName.CODEC, 2048, r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    RECONF_KEYPAIR(56, TlsKeyPair.CODEC, 2 * TlsKeyPair.MAX_PEM + 16, r(PARENT, RELAY)),
    RECONF_END(57, Generation.CODEC, 4, r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    /** An engine has applied a generation (or, with ENGINE_ERROR, refused it). */
    ENGINE_READY(58, Generation.CODEC, 4, r(PFE, PARENT), r(HCE, PARENT), r(RELAY, PARENT)),
    ENGINE_ERROR(59, EngineError.CODEC, 20_004, r(PFE, PARENT), r(HCE, PARENT), r(RELAY, PARENT)),
    LOG_VERBOSE(60, Flag.CODEC, 1, r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    /** A peer asks for every host's current state again (after it was restarted). */
    STATE_REQUEST(61, Generation.CODEC, 4, r(PFE, HCE), r(RELAY, PFE), r(HCE, PFE)),
    /** The parent's watchdog asks whether an engine still serves; PONG says every loop of it does. */
    PING(62, Empty.CODEC, 0, r(PARENT, PFE), r(PARENT, HCE), r(PARENT, RELAY)),
    PONG(63, Empty.CODEC, 0, r(PFE, PARENT), r(HCE, PARENT), r(RELAY, PARENT)),
    /**
     * What hoststatectl disabled, and enabled that the configuration starts disabled, by
     * name: pfe sends it to the parent after each change and reload; the parent gives it back
     * to a restarted pfe, which would start from the configuration otherwise.
     */
    DISABLED_SET(64, ConfChunk.CODEC, ConfChunk.MAX_CHUNK * 4 + 8, r(PFE, PARENT), r(PARENT, PFE)),
    /**
     * A piece of a DISABLED_SET too long for one message, whose DISABLED_SET (the last piece)
     * follows: {@link DisabledSetPieces}.
     */
    DISABLED_SET_PART(65, ConfChunk.CODEC, ConfChunk.MAX_CHUNK * 4 + 8, r(PFE, PARENT), r(PARENT, PFE)),
    /**
     * pfe's answer to hce's STATE_REQUEST: the state and counters pfe holds of one host that
     * has a verdict (a HOST_STATUS's fields, latency 0), which a restarted hce adopts without a
     * transition; then KEPT_STATE_END.
     */
    KEPT_STATE(66, HostStatus.CODEC, 64, r(PFE, HCE)),
    /** Every KEPT_STATE of pfe's answer for this generation has been sent. */
    KEPT_STATE_END(67, Generation.CODEC, 4, r(PFE, HCE)),
    /**
     * The relay engine asks for the listening socket of relay {@code id} of a generation again:
     * the kernel dropped the one the parent passed (the engine had no descriptor free). The
     * parent passes it again on the fd channel, if that generation is still its current one.
     */
    LISTENER_REQUEST(68, ObjId.CODEC, 8, r(RELAY, PARENT)),
    /**
     * The daemon is stopping: the relay engine stops accepting and lets its sessions finish
     * (an HTTP one after the exchange under way), then says RELAY_DRAINED.
     */
    RELAY_DRAIN(69, Empty.CODEC, 0, r(PARENT, RELAY)),
    /** Every session of a draining relay engine has ended. */
    RELAY_DRAINED(70, Empty.CODEC, 0, r(RELAY, PARENT)),
    /**
     * An engine lost its syslog connection (the syslog daemon restarted) and cannot reach
     * /dev/log from its chroot: the parent passes it a new one on the fd channel.
     */
    SYSLOG_REQUEST(71, Empty.CODEC, 0, r(PFE, PARENT), r(HCE, PARENT), r(RELAY, PARENT)),
    /**
     * The health check engine was lost, its successor has started, or it has not taken a
     * reload's configuration in time: a relay engine whose listeners wait for their tables'
     * first verdicts waits on for them.
     */
    CHECKS_RESTARTING(72, Empty.CODEC, 0, r(PARENT, RELAY));

    /** Longest payload of any type: frames above this are refused before they are read. */
    public static final int MAX_PAYLOAD = 2 * TlsKeyPair.MAX_PEM + 16;

    private static final MessageType[] BY_ID = new MessageType[128];

    static {
        for (MessageType t : values()) {
            if (BY_ID[t.id] != null) {
                throw new ExceptionInInitializerError("duplicate message id " + t.id);
            }
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final MessageCodec<?> codec;
    private final int maxPayload;
    private final Set<Route> routes;

    MessageType(int id, MessageCodec<?> codec, int maxPayload, Route... routes) {
        this.id = id;
        this.codec = codec;
        this.maxPayload = maxPayload;
        this.routes = Set.of(routes);
    }

    public int id() {
        return id;
    }

    public MessageCodec<?> codec() {
        return codec;
    }

    public int maxPayload() {
        return maxPayload;
    }

    public boolean allowed(ProcId from, ProcId to) {
        return routes.contains(new Route(from, to));
    }

    /** The types {@code to} may receive from {@code from}. */
    public static Set<MessageType> allowedOn(ProcId from, ProcId to) {
        Set<MessageType> s = EnumSet.noneOf(MessageType.class);
        for (MessageType t : values()) {
            if (t.allowed(from, to)) {
                s.add(t);
            }
        }
        return s;
    }

    public static MessageType forId(int id) throws MalformedMessageException {
        MessageType t = id >= 0 && id < BY_ID.length ? BY_ID[id] : null;
        if (t == null) {
            throw new MalformedMessageException("unknown message type " + id);
        }
        return t;
    }

    /** Log form: the original's lower-case name. */
    public String logName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    private static Route r(ProcId from, ProcId to) {
        return new Route(from, to);
    }

    private record Route(ProcId from, ProcId to) {
        // Written out: a record's generated equals and hashCode bootstrap method handles on
        // first use, which costs hoststatectl's short-lived JVM some 20 ms at class set-up.
        @Override
        public boolean equals(Object o) {
            return o instanceof Route r && r.from == from && r.to == to;
        }

        @Override
        public int hashCode() {
            return from.ordinal() * 31 + to.ordinal();
        }
    }
}
