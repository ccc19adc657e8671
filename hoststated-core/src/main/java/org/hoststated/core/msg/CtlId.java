package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.util.Arrays;

/**
 * What a control command names: an id, or a name when the operator typed one (as
 * hoststatectl did, a name travels with no id).
 */
public record CtlId(int id, String name) {
    public static final int NO_ID = -1;

    /**
     * An argument of ASCII digits is an id (fewer than 10, so it fits an int), anything else a
     * name: Character.isDigit also took other scripts' digits, so that {@code host disable
     * \u0661} (ARABIC-INDIC DIGIT ONE) disabled host 1.
     */
    public static CtlId parse(String arg) {
        if (!arg.isEmpty() && arg.length() < 10 && asciiDigits(arg)) {
            return new CtlId(Integer.parseInt(arg), null);
        }
        return new CtlId(NO_ID, arg);
    }

    private static boolean asciiDigits(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    public boolean matches(int objId, String objName) {
        return name == null ? id == objId : name.equals(objName);
    }

    /**
     * {@link #matches} for a host, whose name may also be given as its address in any
     * spelling: {@code FD00::10} or {@code fd00:0::10} for a host written {@code fd00::10}
     * (probe G: only the configuration's spelling matched). A name that is not an address
     * literal is compared as written; no name is looked up in the DNS here.
     */
    public boolean matchesHost(int objId, String objName, InetAddress address) {
        if (matches(objId, objName)) {
            return true;
        }
        // A zone ("%eth0") names a link, which no host of the configuration has.
        if (name == null || address == null || !NetUtil.isValidIpV6Address(name) && !NetUtil.isValidIpV4Address(name)
                || octalLooking(name) || name.indexOf('%') >= 0) {
            return false;
        }
        byte[] given = NetUtil.createByteArrayFromIpAddressString(name);
        if (given != null && given.length == 16 && isV4Mapped(given)) {
            // ::ffff:a.b.c.d is a.b.c.d, as the configuration reads it (probe AD).
            given = Arrays.copyOfRange(given, 12, 16);
        }
        return given != null && Arrays.equals(given, address.getAddress());
    }

    private static boolean isV4Mapped(byte[] a) {
        for (int i = 0; i < 10; i++) {
            if (a[i] != 0) {
                return false;
            }
        }
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    /**
     * Whether a dotted IPv4 part of {@code address} has a leading zero ("010.1.1.1"): inet_aton(3)
     * and the BSD tools read such a part as octal, so the address is not taken as any host's.
     */
    private static boolean octalLooking(String address) {
        String v4 = address.substring(address.lastIndexOf(':') + 1);
        if (v4.indexOf('.') < 0) {
            return false;
        }
        for (String part : v4.split("\\.", -1)) {
            if (part.length() > 1 && part.charAt(0) == '0') {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return name == null ? Integer.toString(id) : name;
    }

    public static final MessageCodec<CtlId> CODEC = new MessageCodec<>() {
        @Override
        public Class<CtlId> type() {
            return CtlId.class;
        }

        @Override
        public void encode(CtlId msg, ByteBuf out) {
            out.writeInt(msg.id);
            Wire.putOptString(out, msg.name);
        }

        @Override
        public CtlId decode(ByteBuf in) throws MalformedMessageException {
            int id = Wire.i32(in, "id");
            String name = Wire.optString(in, "name", Wire.MAX_NAME);
            if ((name == null) == (id == NO_ID) || id < NO_ID) {
                throw new MalformedMessageException("control id needs exactly one of id and name");
            }
            return new CtlId(id, name);
        }
    };
}
