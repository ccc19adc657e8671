package org.hoststated.core.config;

/**
 * Checks for configuration text that the daemon later writes onto the wire or into log lines:
 * an HTTP check's request target and Host, the keys and values relay rules add to requests and
 * responses, the names of tables, services and relays. A quoted string may carry {@code \r},
 * {@code \n} and raw control bytes, and such text would put extra header lines into a request
 * (or lines into a log) instead of failing where the operator can see it. Stateless.
 */
final class WireText {
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
            TCHAR[c] = true;
        }
        for (int c = 0; c < 128; c++) {
            if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                TCHAR[c] = true;
            }
        }
    }

    private WireText() {
    }

    /** True when {@code s} holds a control character (DEL included); a tab counts only when
     *  {@code tabAllowed} is false. */
    static boolean hasControl(String s, boolean tabAllowed) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ((c < 0x20 && !(tabAllowed && c == '\t')) || c == 0x7f) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code s} can stand in a request line or a cookie as it is: printable ASCII,
     *  no space. */
    static boolean isVisibleAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when {@code s} can name a cookie in a Cookie field: not empty, without the ';' and
     * ',' that separate pairs, the '=' that ends a name, white space or control characters.
     * Looser than RFC 6265's token, which would refuse the names PHP gives array cookies
     * ({@code user[id]}).
     */
    static boolean isCookieName(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c == 0x7f || c == ';' || c == ',' || c == '=') {
                return false;
            }
        }
        return true;
    }

    /** True when {@code s} is an HTTP token (RFC 9110 5.6.2), the form of a field name. */
    static boolean isToken(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 128 || !TCHAR[c]) {
                return false;
            }
        }
        return true;
    }
}
