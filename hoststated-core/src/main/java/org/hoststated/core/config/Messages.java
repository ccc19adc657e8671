package org.hoststated.core.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/** Helpers that keep user text safe and short inside diagnostics. Stateless. */
final class Messages {
    private static final int MAX = 64;

    private Messages() {
    }

    /** Replaces control and non-ASCII characters and shortens long text, so a binary input
     *  cannot put raw bytes or megabytes into a log line. */
    static String clip(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX + 3));
        for (int i = 0; i < s.length() && i < MAX; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else if (c > 0x7e) {
                b.append('?');
            } else {
                b.append(c);
            }
        }
        if (s.length() > MAX) {
            b.append("...");
        }
        return b.toString();
    }

    /** An address as a configuration file writes it: IPv6 in its short form (2001:db8::1, ::). */
    static String address(InetAddress a) {
        return NetUtil.toAddressString(a);
    }
}
