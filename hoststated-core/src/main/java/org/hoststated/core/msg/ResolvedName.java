package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * A DNS name in the configuration and the addresses the parent resolved it to. Engines run in
 * a chroot without a resolver, so they parse the configuration text with these answers.
 */
public record ResolvedName(int generation, String name, List<InetAddress> addresses) {
    public static final int MAX_ADDRESSES = 64;

    public ResolvedName {
        addresses = List.copyOf(addresses);
    }

    public static final MessageCodec<ResolvedName> CODEC = new MessageCodec<>() {
        @Override
        public Class<ResolvedName> type() {
            return ResolvedName.class;
        }

        @Override
        public void encode(ResolvedName m, ByteBuf out) {
            out.writeInt(m.generation);
            Wire.putString(out, m.name);
            out.writeByte(m.addresses.size());
            for (InetAddress a : m.addresses) {
                Wire.putAddress(out, a);
            }
        }

        @Override
        public ResolvedName decode(ByteBuf in) throws MalformedMessageException {
            int gen = Wire.u32(in, "generation", Integer.MAX_VALUE);
            String name = Wire.string(in, "name", Wire.MAX_NAME);
            int n = Wire.u8(in, "address count");
            if (n > MAX_ADDRESSES) {
                throw new MalformedMessageException("too many addresses: " + n);
            }
            List<InetAddress> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(Wire.address(in, "address"));
            }
            return new ResolvedName(gen, name, list);
        }
    };
}
