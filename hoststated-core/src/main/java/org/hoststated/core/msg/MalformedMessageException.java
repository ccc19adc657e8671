package org.hoststated.core.msg;

/**
 * A frame or payload that breaks the protocol: wrong length, out-of-range value, a type not
 * allowed on the channel. The reader logs it once and closes the channel.
 */
public final class MalformedMessageException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message, null, false, false);
    }
}
