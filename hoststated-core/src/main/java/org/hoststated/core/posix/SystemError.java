package org.hoststated.core.posix;

import java.util.regex.Pattern;

/**
 * The operator's part of a Netty native error: "bind(..) failed with error(-98): Address
 * already in use" becomes "Address already in use" (the system call and errno number are
 * Netty's spelling; the message around it already says what was being done).
 */
public final class SystemError {
    private static final Pattern NATIVE_CALL = Pattern.compile("^[\\w ]+\\(\\.\\.\\) failed(?: with error\\(-?\\d+\\))?: ");

    private SystemError() {
    }

    /**
     * {@code t}'s message without Netty's system call prefix; "closed" for a closed channel,
     * or else its class name, when it has none.
     */
    public static String text(Throwable t) {
        String m = t.getMessage();
        if (m != null && !m.isEmpty()) {
            return withoutCall(m);
        }
        // Netty's closed-channel exceptions carry no text: the log said
        // "StacklessClosedChannelException" (probe W).
        return t instanceof java.nio.channels.ClosedChannelException ? "closed" : t.getClass().getSimpleName();
    }

    /** {@code message} without a leading "call(..) failed with error(-N): ". */
    public static String withoutCall(String message) {
        return NATIVE_CALL.matcher(message).replaceFirst("");
    }
}
