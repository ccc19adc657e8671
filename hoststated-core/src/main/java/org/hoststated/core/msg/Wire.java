package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Primitive field codecs shared by the payload codecs. Every read checks that the bytes are
 * there and in range first, so a short or hostile payload ends in a
 * {@link MalformedMessageException}, never in an IndexOutOfBoundsException or a huge
 * allocation.
 */
public final class Wire {
    /** Longest name (host, table, relay, ...) on the wire. */
    public static final int MAX_NAME = 255;
    /** Longest free text (a failure reason, a log line). */
    public static final int MAX_TEXT = 4096;

    private Wire() {
    }

    public static void need(ByteBuf in, int n, String what) throws MalformedMessageException {
        if (in.readableBytes() < n) {
            throw new MalformedMessageException("truncated " + what);
        }
    }

    public static int u8(ByteBuf in, String what) throws MalformedMessageException {
        need(in, 1, what);
        return in.readUnsignedByte();
    }

    public static int u16(ByteBuf in, String what) throws MalformedMessageException {
        need(in, 2, what);
        return in.readUnsignedShort();
    }

    public static int i32(ByteBuf in, String what) throws MalformedMessageException {
        need(in, 4, what);
        return in.readInt();
    }

    /** A 32-bit count or id that must lie in 0..max. */
    public static int u32(ByteBuf in, String what, int max) throws MalformedMessageException {
        return u32(in, what, "", max);
    }

    /**
     * {@link #u32} of the field named {@code what + suffix}: the name is put together only for
     * an error, so that decoding a good frame runs no string concatenation (its first use costs
     * the short-lived hoststatectl JVM several milliseconds of bootstrap).
     */
    private static int u32(ByteBuf in, String what, String suffix, int max) throws MalformedMessageException {
        if (in.readableBytes() < 4) {
            throw new MalformedMessageException("truncated " + what + suffix);
        }
        int v = in.readInt();
        if (v < 0 || v > max) {
            throw new MalformedMessageException(what + suffix + " out of range: " + Integer.toUnsignedString(v));
        }
        return v;
    }

    public static long i64(ByteBuf in, String what) throws MalformedMessageException {
        need(in, 8, what);
        return in.readLong();
    }

    public static boolean bool(ByteBuf in, String what) throws MalformedMessageException {
        int v = u8(in, what);
        if (v > 1) {
            throw new MalformedMessageException(what + " is not a boolean: " + v);
        }
        return v == 1;
    }

    public static void putBool(ByteBuf out, boolean v) {
        out.writeByte(v ? 1 : 0);
    }

    public static void putString(ByteBuf out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.writeBytes(b);
    }

    /** A string of at most {@code max} bytes of valid UTF-8. */
    public static String string(ByteBuf in, String what, int max) throws MalformedMessageException {
        int len = u32(in, what, " length", max);
        need(in, len, what);
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(in.nioBuffer(in.readerIndex(), len)).toString();
            in.skipBytes(len);
            return s;
        } catch (CharacterCodingException e) {
            throw new MalformedMessageException(what + " is not UTF-8");
        }
    }

    /** An optional string: a flag byte, then the string if present. */
    public static void putOptString(ByteBuf out, String s) {
        putBool(out, s != null);
        if (s != null) {
            putString(out, s);
        }
    }

    public static String optString(ByteBuf in, String what, int max) throws MalformedMessageException {
        return bool(in, what) ? string(in, what, max) : null;
    }

    public static void putBytes(ByteBuf out, byte[] b) {
        out.writeInt(b.length);
        out.writeBytes(b);
    }

    public static byte[] bytes(ByteBuf in, String what, int max) throws MalformedMessageException {
        int len = u32(in, what, " length", max);
        need(in, len, what);
        byte[] b = new byte[len];
        in.readBytes(b);
        return b;
    }

    public static void putAddress(ByteBuf out, InetAddress a) {
        byte[] b = a.getAddress();
        out.writeByte(b.length);
        out.writeBytes(b);
    }

    public static InetAddress address(ByteBuf in, String what) throws MalformedMessageException {
        if (in.readableBytes() < 1) {
            throw new MalformedMessageException("truncated " + what + " length");
        }
        int len = in.readUnsignedByte();
        if (len != 4 && len != 16) {
            throw new MalformedMessageException(what + " has bad length " + len);
        }
        need(in, len, what);
        byte[] b = new byte[len];
        in.readBytes(b);
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new MalformedMessageException(what + ": " + e.getMessage());
        }
    }

    public static <E extends Enum<E>> E enumValue(ByteBuf in, Class<E> type, String what)
            throws MalformedMessageException {
        int v = u8(in, what);
        E[] all = type.getEnumConstants();
        if (v >= all.length) {
            throw new MalformedMessageException(what + " out of range: " + v);
        }
        return all[v];
    }

    public static void putEnum(ByteBuf out, Enum<?> e) {
        out.writeByte(e.ordinal());
    }
}
