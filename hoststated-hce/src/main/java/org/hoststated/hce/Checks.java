package org.hoststated.hce;

import io.netty.channel.EventLoop;
import org.hoststated.core.config.CheckConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.hce.check.Check;
import org.hoststated.hce.check.HttpCheck;
import org.hoststated.hce.check.IcmpCheck;
import org.hoststated.hce.check.IcmpPinger;
import org.hoststated.hce.check.ScriptBroker;
import org.hoststated.hce.check.PlainProbe;
import org.hoststated.hce.check.Probe;
import org.hoststated.hce.check.ScriptCheck;
import org.hoststated.hce.check.SendExpectCheck;
import org.hoststated.hce.check.SslCheck;
import org.hoststated.hce.check.TcpCheck;
import org.hoststated.hce.check.TlsProbe;

/**
 * The {@link CheckFactory} of the running engine: one {@link Check} per table, by the table's
 * {@code check} directive. Runs in hce on the event loop.
 */
public final class Checks implements CheckFactory {
    private final EventLoop loop;
    private final ScriptBroker scripts;
    private final IcmpPinger icmp;
    private PlainProbe plain;
    private TlsProbe tls;

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
            case TCP -> new TcpCheck(plain());
            case SSL -> new SslCheck(tls());
            case HTTP_CODE -> HttpCheck.code(probe(c.ssl()), c.path(), c.host(), c.code());
            case HTTP_DIGEST -> HttpCheck.digest(probe(c.ssl()), c.path(), c.host(), c.digestType(), c.digest());
            case SEND_EXPECT -> new SendExpectCheck(probe(c.ssl()), c.send(), c.expect());
            case SCRIPT -> new ScriptCheck(scripts, c.script(), table.timeoutMs());
            case NONE -> null;
            default -> throw new IllegalArgumentException("table " + table.name() + ": check " + c.type()
                    + " not supported");
        };
    }

    private Probe probe(boolean ssl) {
        return ssl ? tls() : plain();
    }

    /** Made on first use: a configuration without TLS checks builds no TLS context. */
    private TlsProbe tls() {
        if (tls == null) {
            tls = new TlsProbe(loop);
        }
        return tls;
    }

    private PlainProbe plain() {
        if (plain == null) {
            plain = new PlainProbe(loop);
        }
        return plain;
    }
}
