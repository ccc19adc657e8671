package org.hoststated.ctl;

import java.io.PrintWriter;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.HashSet;
import java.util.Set;
import org.hoststated.core.log.Visible;
import org.hoststated.core.msg.CtlHost;
import org.hoststated.core.msg.CtlRelay;
import org.hoststated.core.msg.CtlService;
import org.hoststated.core.msg.CtlSession;
import org.hoststated.core.msg.CtlTable;
import org.hoststated.core.msg.Generation;
import org.hoststated.core.msg.HostError;
import org.hoststated.core.msg.HostState;
import org.hoststated.core.msg.HostStatus;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ObjId;
import org.hoststated.core.msg.RelayStatistics;
import org.hoststated.core.msg.SummaryRequest;

/**
 * Every text hoststatectl prints on stdout, in the layout of the original's printf formats
 * (SPEC 2.2, hoststatectl.c 1.21):
 *
 * <pre>
 *   "Type\t%4s\t%-24s\t%-7s\tStatus\n"           header with "Id", "Name", "Avlblty"
 *   "service\t%4u\t%-24s\t%-7s\t%s\n"            likewise table, host (with availability), relay
 *   "\t%4s\ttotal: %lu/%lu checks[, %d retries]\n"  show hosts, under a checked host
 *   "\t%4s\tlast error: %s\n"                     show hosts, under a down host (issue 7)
 *   "\t%4s\ttotal: %lu sessions\n"                show relays, then last: and average:
 *   "session %u:%u %s:%u -> %s:%u\t%s\n"          show sessions, then "\tage %s, idle %s, relay %u\n" (and the bytes)
 * </pre>
 *
 * One instance formats one {@code show} listing; the static methods format single lines
 * (command results, monitor events). Padding is done by hand: java.util.Formatter costs a
 * noticeable part of the CLI's start-up.
 */
final class SummaryFormatter {
    /** Which rows of the CTL_SHOW_SUM stream a {@code show} subcommand prints. */
    enum View {
        SUMMARY, HOSTS, RELAYS;

        /** The rows the daemon is asked for: these alone (this view still picks among them). */
        SummaryRequest.View request() {
            return SummaryRequest.View.valueOf(name());
        }
    }

    private static final String INDENT = "\t    \t";
    private static final String[] DAYS = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    private static final String[] MONTHS =
        {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

    private final View view;
    private final PrintWriter out;
    private final StringBuilder line = new StringBuilder(128);
    /** Statistics of one relay, summed over consecutive CTL_STATISTICS, not printed yet. */
    private RelayStatistics pending;
    /** The tables {@code show hosts} printed: a relay's table follows its relay again. */
    private final Set<Integer> tablesShown = new HashSet<>();
    /** The rows being passed over are a table {@code show hosts} printed already, and its hosts. */
    private boolean repeatedTable;

    SummaryFormatter(View view, PrintWriter out) {
        this.view = view;
        this.out = out;
    }

    void header() {
        line.setLength(0);
        line.append("Type\t");
        padLeft(line, "Id", 4).append('\t');
        padRight(line, "Name", 24).append('\t');
        padRight(line, "Avlblty", 7).append("\tStatus\n");
        emit();
    }

    /**
     * Prints one row of the CTL_SHOW_SUM stream, if this view shows it.
     *
     * @throws ControlException if {@code m} is not a row of that stream
     */
    void row(Imsg m) throws ControlException {
        if (m.type() == MessageType.CTL_STATISTICS) {
            statistics(m.payload(RelayStatistics.class));
            return;
        }
        flushStatistics();
        switch (m.type()) {
            case CTL_SERVICE:
                repeatedTable = false;
                if (view != View.RELAYS) {
                    CtlService s = m.payload(CtlService.class);
                    row("service", s.id(), s.name(), "", s.status().toString());
                }
                break;
            case CTL_TABLE:
                if (view != View.RELAYS) {
                    CtlTable t = m.payload(CtlTable.class);
                    // Without the relay rows, a relay's table printed again read as a duplicate.
                    repeatedTable = view == View.HOSTS && !tablesShown.add(t.id());
                    if (!repeatedTable) {
                        row("table", t.id(), t.name(), "", t.status());
                    }
                }
                break;
            case CTL_HOST:
                if (view != View.RELAYS && !repeatedTable) {
                    host(m.payload(CtlHost.class));
                }
                break;
            case CTL_RELAY:
                repeatedTable = false;
                if (view != View.HOSTS) {
                    CtlRelay r = m.payload(CtlRelay.class);
                    row("relay", r.id(), r.name(), "", r.status());
                }
                break;
            default:
                throw ControlException.unexpected(m);
        }
    }

    /** The stream ended (CTL_END). */
    void end() {
        flushStatistics();
        out.flush();
    }

    private void host(CtlHost h) {
        row("host", h.id(), h.name(), availability(h), h.status());
        if (view != View.HOSTS) {
            return;
        }
        if (h.checkCount() != 0) {
            line.setLength(0);
            line.append(INDENT).append("total: ").append(Integer.toUnsignedString(h.upCount()))
                .append('/').append(Integer.toUnsignedString(h.checkCount())).append(" checks");
            // Not for a host that is down: its counter cycles through the retries (relayd's
            // arithmetic) and "3 retries" read as "not down yet" (probe Y).
            if (h.retryCount() != 0 && h.state() != HostState.DOWN) {
                line.append(", ").append(h.retryCount()).append(" retries");
            }
            emit(line.append('\n'));
        }
        if (!h.disabled() && h.state() == HostState.DOWN && h.lastError() != HostError.NONE) {
            line.setLength(0);
            emit(line.append(INDENT).append("last error: ").append(h.lastError()).append('\n'));
        }
    }

    /**
     * {@link CtlHost#availability()} without java.util.Formatter, whose set-up (regular
     * expressions, locale data, decimal symbols) cost more than the rest of a {@code show
     * summary}: the percentage in hundredths, rounded half up as {@code %.2f} rounds.
     */
    static String availability(CtlHost h) {
        long checks = Integer.toUnsignedLong(h.checkCount());
        if (checks == 0) {
            return "";
        }
        long hundredths = (Integer.toUnsignedLong(h.upCount()) * 20_000 + checks) / (2 * checks);
        StringBuilder b = new StringBuilder(8).append(hundredths / 100).append('.');
        return twoDigits(b, hundredths % 100).append('%').toString();
    }

    private void row(String type, int id, String name, String avail, String status) {
        line.setLength(0);
        line.append(type).append('\t');
        padLeft(line, Integer.toUnsignedString(id), 4).append('\t');
        padRight(line, name, 24).append('\t');
        padRight(line, avail, 7).append('\t').append(status).append('\n');
        emit();
    }

    private void statistics(RelayStatistics s) {
        if (view != View.RELAYS) {
            return;
        }
        if (pending != null && pending.relayId() != s.relayId()) {
            flushStatistics();
        }
        pending = pending == null ? s : new RelayStatistics(s.generation(), s.relayId(),
                pending.total() + s.total(), pending.active() + s.active(),
                pending.last60s() + s.last60s(), pending.lastHour() + s.lastHour(),
                pending.lastDay() + s.lastDay(), pending.avg60s() + s.avg60s(),
                pending.avgHour() + s.avgHour(), pending.avgDay() + s.avgDay());
    }

    /** The original prints a relay's statistics only once it has had a session. */
    private void flushStatistics() {
        RelayStatistics s = pending;
        pending = null;
        if (s == null || s.total() == 0) {
            return;
        }
        line.setLength(0);
        line.append(INDENT).append("total: ").append(s.total()).append(" sessions\n");
        line.append(INDENT).append("last: ").append(s.last60s()).append("/60s ").append(s.lastHour())
            .append("/h ").append(s.lastDay()).append("/d sessions\n");
        line.append(INDENT).append("average: ").append(s.avg60s()).append("/60s ").append(s.avgHour())
            .append("/h ").append(s.avgDay()).append("/d sessions\n");
        emit();
    }

    private void emit() {
        emit(line);
    }

    private void emit(StringBuilder b) {
        out.append(b);
    }

    static String commandSucceeded() {
        return "command succeeded\n";
    }

    /**
     * The text of a CTL_FAIL: {@code command failed: <reason>}, for stderr. The reason may
     * quote what the operator typed (a name that is no host's): its control characters are
     * written as escapes, as in the daemon's log lines ({@link Visible}), so they reach no
     * terminal.
     */
    static String commandFailed(String reason) {
        return reason.isEmpty() ? "command failed\n" : "command failed: " + Visible.escape(reason) + "\n";
    }

    /** The text of a CTL_WARNING: {@code warning: <text>}, for stderr, escaped as a reason is. */
    static String warning(String text) {
        return "warning: " + Visible.escape(text) + "\n";
    }

    /**
     * One {@code show sessions} entry, the original's two lines:
     * {@code session <loop>:<id> <client>:<port> -> <target>:<port>\tRUNNING|DONE} and
     * {@code \tage HH:MM:SS, idle HH:MM:SS, relay <id>}, to which this one adds the relay's name,
     * {@code  (<name>)} or {@code  (<name>, removed)} for a relay a reload removed (whose id a
     * relay of the running configuration may have), and the payload bytes relayed so far,
     * {@code , <n> bytes to server, <n> bytes to client}, as the session's close line writes them
     * (after the original's fields, so that what read them reads them still).
     * An IPv6 address is bracketed (the
     * original printed it bare, which makes its port unreadable); a session that has no backend
     * yet shows {@code -> (none)}.
     */
    static StringBuilder session(StringBuilder b, CtlSession s) {
        b.append("session ").append(Integer.toUnsignedString(s.loop())).append(':').append(s.sessionId()).append(' ');
        endpoint(b, s.client(), s.clientPort()).append(" -> ");
        if (s.target() == null) {
            b.append("(none)");
        } else {
            endpoint(b, s.target(), s.targetPort());
        }
        b.append('\t').append(s.done() ? "DONE" : "RUNNING").append("\n\tage ");
        duration(b, s.ageMs()).append(", idle ");
        duration(b, s.idleMs()).append(", relay ").append(Integer.toUnsignedString(s.relayId()));
        if (!s.relayName().isEmpty()) {
            b.append(" (").append(Visible.escape(Visible.name(s.relayName()))).append(s.removed() ? ", removed" : "")
                    .append(')');
        }
        b.append(", ").append(s.toServer()).append(" bytes to server, ").append(s.toClient())
                .append(" bytes to client\n");
        return b;
    }

    private static StringBuilder endpoint(StringBuilder b, InetAddress a, int port) {
        if (a instanceof Inet6Address) {
            ipv6(b.append('['), a.getAddress()).append(']');
        } else {
            b.append(a.getHostAddress());
        }
        return b.append(':').append(port);
    }

    /** RFC 5952 text: lower-case hex, the first longest run of two or more zero groups as "::". */
    private static StringBuilder ipv6(StringBuilder b, byte[] a) {
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = (a[2 * i] & 0xff) << 8 | (a[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                b.append("::");
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != bestStart + bestLen) {
                b.append(':');
            }
            b.append(Integer.toHexString(g[i]));
        }
        return b;
    }

    /** {@code HH:MM:SS}, hours not limited to two digits (relayd's print_time). */
    private static StringBuilder duration(StringBuilder b, long ms) {
        long sec = ms / 1000;
        twoDigits(b, sec / 3600).append(':');
        twoDigits(b, sec / 60 % 60).append(':');
        return twoDigits(b, sec % 60);
    }

    /**
     * One {@code monitor} event: {@code <type>: imsg type <id> len <n> peerid <n> pid <n>}, the
     * timestamp line in ctime(3) form, then the event's fields.
     *
     * @param len  the frame's length, header included
     * @return the text, or null if {@code m} is not an event a monitor receives
     */
    static String monitorEvent(Imsg m, int len, Instant now, ZoneId zone) {
        String fields = eventFields(m.payload());
        if (fields == null) {
            return null;
        }
        StringBuilder b = new StringBuilder(160);
        b.append(eventName(m.type())).append(": imsg type ").append(m.type().id())
            .append(" len ").append(len)
            .append(" peerid ").append(Integer.toUnsignedString(m.peerId()))
            .append(" pid ").append(m.pid()).append('\n');
        b.append("\ttimestamp: ").append(now.getEpochSecond()).append(", ");
        ctime(b, ZonedDateTime.ofInstant(now, zone));
        return b.append(fields).toString();
    }

    /**
     * The original hoststatectl's name of an event: the enable and disable notices are named
     * after the control commands that cause them, "ctl_disable_service" in its own word order
     * included, so that a script written for the original matches them.
     */
    static String eventName(MessageType t) {
        return switch (t) {
            case SERVICE_DISABLE -> "ctl_disable_service";
            case SERVICE_ENABLE -> "ctl_service_enable";
            case TABLE_DISABLE -> "ctl_table_disable";
            case TABLE_ENABLE -> "ctl_table_enable";
            case HOST_DISABLE -> "ctl_host_disable";
            case HOST_ENABLE -> "ctl_host_enable";
            default -> t.logName();
        };
    }

    private static String eventFields(Object p) {
        if (p instanceof HostStatus) {
            HostStatus s = (HostStatus) p;
            return "\tid: " + Integer.toUnsignedString(s.hostId()) + "\n\tstate: " + s.state() + "\n";
        }
        if (p instanceof ObjId) {
            return "\tid: " + Integer.toUnsignedString(((ObjId) p).id()) + "\n";
        }
        if (p instanceof Generation) {
            return "\tgeneration: " + Integer.toUnsignedString(((Generation) p).generation()) + "\n";
        }
        return null;
    }

    /** ctime(3): {@code "%.3s %.3s%3d %.2d:%.2d:%.2d %d\n"}. */
    private static void ctime(StringBuilder b, ZonedDateTime t) {
        b.append(DAYS[t.getDayOfWeek().getValue() - 1]).append(' ')
            .append(MONTHS[t.getMonthValue() - 1]);
        padLeft(b, Integer.toString(t.getDayOfMonth()), 3).append(' ');
        twoDigits(b, t.getHour()).append(':');
        twoDigits(b, t.getMinute()).append(':');
        twoDigits(b, t.getSecond()).append(' ').append(t.getYear()).append('\n');
    }

    private static StringBuilder twoDigits(StringBuilder b, long v) {
        return (v < 10 ? b.append('0') : b).append(v);
    }

    /** {@code %<width>s}. */
    private static StringBuilder padLeft(StringBuilder b, String s, int width) {
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b.append(s);
    }

    /** {@code %-<width>s}. */
    private static StringBuilder padRight(StringBuilder b, String s, int width) {
        b.append(s);
        for (int i = s.length(); i < width; i++) {
            b.append(' ');
        }
        return b;
    }
}
