package org.hoststated.hce;

import io.netty.channel.EventLoop;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.HttpCheck;
import org.hoststated.hce.check.IcmpCheck;
import org.hoststated.hce.check.IcmpPinger;
import org.hoststated.hce.check.ScriptBroker;
import org.hoststated.hce.check.SendExpectCheck;
import org.hoststated.hce.check.SslCheck;
import org.hoststated.hce.check.TcpProbe;
import org.hoststated.hce.check.ScriptCheck;
import org.hoststated.hce.check.TcpCheck;

/**
 * The {@link CheckFactory} of the running engine: one {@link Check} per table, by the table's
 * {@code check} directive. Runs in hce on the event loop.
 */
public final class Checks implements CheckFactory {
    private final EventLoop loop;
    private final ScriptBroker scripts;
    private final IcmpPinger icmp;
    private TcpCheck tcp;
    private TcpProbe probe;

    /**
     * @param scripts the broker that has the parent run scripts; may be null when no table
     *                uses {@code check script} (tests)
     */
    public Checks(EventLoop loop, ScriptBroker scripts) {
        this(loop, scripts, null);
    }

    /** @param icmp the pinger over the raw sockets; null when they could not be opened */
    public Checks(EventLoop loop, ScriptBroker scripts, IcmpPinger icmp) {
        this.loop = loop;
        this.scripts = scripts;
        this.icmp = icmp;
    }

    @Override
    public Check forTable(TableConfig table) {
        CheckConfig c = table.check();
        return switch (c.type()) {
            case ICMP -> {
                if (icmp == null) {
                    throw new IllegalArgumentException("table " + table.name()
                            + ": check icmp needs the raw sockets hce opens as root");
                }
                yield new IcmpCheck(icmp);
            }
            case TCP -> tcp();
            case SSL -> new SslCheck(probe());
            case HTTP_CODE -> HttpCheck.code(probe(), c.ssl(), c.path(), c.host(), c.code());
            case HTTP_DIGEST -> HttpCheck.digest(probe(), c.ssl(), c.path(), c.host(), c.digestType(), c.digest());
            case SEND_EXPECT -> new SendExpectCheck(probe(), c.ssl(), c.send(), c.expect());
            case SCRIPT -> new ScriptCheck(scripts, c.script(), table.timeoutMs());
            case NONE -> null;
            default -> throw new IllegalArgumentException("table " + table.name() + ": check " + c.type()
                    + " not supported");
        };
    }

    private TcpProbe probe() {
        if (probe == null) {
            probe = new TcpProbe(loop);
        }
        return probe;
    }

    private TcpCheck tcp() {
        if (tcp == null) {
            tcp = new TcpCheck(loop);
        }
        return tcp;
    }
}
