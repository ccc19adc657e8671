package org.hoststated.relay.http;

import java.net.InetSocketAddress;
import java.util.function.BiConsumer;

/**
 * What protocol rules may refer to within one session: the {@code $REMOTE_ADDR},
 * {@code $REMOTE_PORT}, {@code $SERVER_ADDR}, {@code $SERVER_PORT} and {@code $TIMEOUT}
 * macros (constant for the session, so each node's value is expanded once), and the
 * sink of the {@code log}ged fields (the session's close line, {@code SessionInfo.logValue}).
 * On the session's worker loop.
 */
final class SessionValues {
    private final String remoteAddr;
    private final String remotePort;
    private final String serverAddr;
    private final String serverPort;
    private final String timeout;
    private final BiConsumer<String, String> log;

    SessionValues(InetSocketAddress remote, InetSocketAddress local, int timeoutSec, BiConsumer<String, String> log) {
        this.log = log;
        remoteAddr = remote.getAddress().getHostAddress();
        remotePort = Integer.toString(remote.getPort());
        serverAddr = local.getAddress().getHostAddress();
        serverPort = Integer.toString(local.getPort());
        timeout = Integer.toString(timeoutSec);
    }

    /** {@code value} with the macros replaced and control characters dropped. */
    String expand(String value) {
        String s = value;
        if (s.indexOf('$') >= 0) {
            s = s.replace("$REMOTE_ADDR", remoteAddr).replace("$REMOTE_PORT", remotePort)
                    .replace("$SERVER_ADDR", serverAddr).replace("$SERVER_PORT", serverPort)
                    .replace("$TIMEOUT", timeout);
        }
        return clean(s);
    }

    /** Drops characters that could end a header line (a value must never inject one). */
    static String clean(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                StringBuilder b = new StringBuilder(s.length());
                for (int k = 0; k < s.length(); k++) {
                    char x = s.charAt(k);
                    if ((x >= 0x20 || x == '\t') && x != 0x7f) {
                        b.append(x);
                    }
                }
                return b.toString();
            }
        }
        return s;
    }

    /** Adds {@code key: value} to the session's close line. */
    void log(String key, String value) {
        log.accept(key, value);
    }
}
