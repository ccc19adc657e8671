package org.hoststated.core.config;

import io.netty.util.NetUtil;
import java.net.InetAddress;

/** Helpers that keep user text safe and short inside diagnostics. Stateless. */
final class Messages {
    private static final int MAX = 64;

    private Messages() {
    }

    /**
     * Escapes control and invisible characters and shortens long text, so a binary input
     * cannot put raw bytes or megabytes into a log line. Letters of other scripts stay as they
     * are (a path's {@code é} printed as {@code ?} hid the very character refused); what could
     * make a line read otherwise than it is (a right-to-left override, a line separator, an
     * unpaired surrogate) is escaped as {@code \\u{...}}.
     */
    static String clip(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX + 3));
        for (int i = 0; i < s.length() && i < MAX; ) {
            int c = s.codePointAt(i);
            i += Character.charCount(c);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else if (c > 0x7e && !visible(c)) {
                b.append(String.format("\\u{%x}", c));
            } else {
                b.appendCodePoint(c);
            }
        }
        if (s.length() > MAX) {
            b.append("...");
        }
        return b.toString();
    }

    private static boolean visible(int c) {
        if (org.hoststated.core.log.Visible.invisible(c)) {
            return false; // a Hangul filler or a variation selector was written as it is (probe AK)
        }
        return switch (Character.getType(c)) {
            case Character.CONTROL, Character.FORMAT, Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR,
                    Character.SURROGATE, Character.UNASSIGNED, Character.PRIVATE_USE -> false;
            default -> true;
        };
    }

    /** An address as a configuration file writes it: IPv6 in its short form (2001:db8::1, ::). */
    static String address(InetAddress a) {
        return NetUtil.toAddressString(a);
    }
}
