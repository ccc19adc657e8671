package org.hoststated.parent;

import java.util.regex.Pattern;

/**
 * The operator's part of a Netty native error: "bind(..) failed with error(-98): Address
 * already in use" becomes "Address already in use" (the system call and errno number are
 * Netty's spelling; the message already says what was being done).
 */
final class SystemError {
    private static final Pattern NATIVE_CALL = Pattern.compile("^[\\w ]+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");

    private SystemError() {
    }

    static String text(Throwable t) {
        String m = t.getMessage();
        return m == null ? t.getClass().getSimpleName() : NATIVE_CALL.matcher(m).replaceFirst("");
    }
}
