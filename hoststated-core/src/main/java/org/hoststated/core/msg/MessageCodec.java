package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * Encodes one payload record and decodes it back, checking every field. {@code decode} is
 * given a buffer holding exactly the payload; anything left unread is an error of the caller
 * ({@link Messages#decode}) so that a longer payload never passes.
 */
public interface MessageCodec<T> {
    Class<T> type();

    void encode(T msg, ByteBuf out);

    T decode(ByteBuf in) throws MalformedMessageException;
}
