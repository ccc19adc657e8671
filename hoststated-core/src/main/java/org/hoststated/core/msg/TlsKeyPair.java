package org.hoststated.core.msg;

import io.netty.buffer.ByteBuf;

/**
 * A relay listener's certificate chain and private key (PEM), read by the parent as root and
 * sent to the chrooted relay engine, which opens no files.
 */
public record TlsKeyPair(int generation, int relayId, byte[] certificatePem, byte[] keyPem) {
    public static final int MAX_PEM = 256 * 1024;

    public static final MessageCodec<TlsKeyPair> CODEC = new MessageCodec<>() {
        @Override
        public Class<TlsKeyPair> type() {
            return TlsKeyPair.class;
        }

        @Override
        public void encode(TlsKeyPair m, ByteBuf out) {
            out.writeInt(m.generation);
            out.writeInt(m.relayId);
            Wire.putBytes(out, m.certificatePem);
            Wire.putBytes(out, m.keyPem);
        }

        @Override
        public TlsKeyPair decode(ByteBuf in) throws MalformedMessageException {
            return new TlsKeyPair(Wire.u32(in, "generation", Integer.MAX_VALUE),
                    Wire.u32(in, "relay id", Integer.MAX_VALUE),
                    Wire.bytes(in, "certificate", MAX_PEM), Wire.bytes(in, "key", MAX_PEM));
        }
    };
}
