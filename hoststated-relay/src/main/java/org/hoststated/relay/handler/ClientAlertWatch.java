package org.hoststated.relay.handler;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

/**
 * Names the alert with which a TLS client gives up its handshake. OpenSSL 3 clients (curl,
 * openssl s_client, Python) that refuse the relay's certificate in TLS 1.3 send their fatal
 * alert in clear, before they switch to the handshake keys; BoringSSL, expecting an encrypted
 * record, then reports only BAD_PACKET_LENGTH, and the close line blamed the packets for a
 * client that did not trust the certificate (a self-signed one, a chain without its
 * intermediate). A TLS 1.2 alert before ChangeCipherSpec is in clear too, and is named the same.
 *
 * <p>Before the {@link SslHandler} (raw bytes), only until the handshake is done: it follows the
 * record boundaries of what the client sends and, for a two-byte alert record at the fatal
 * level, records the session's reason before the engine fails the handshake on it (the first
 * reason recorded stands). Encrypted alerts are longer than two bytes and left to the engine.
 * On the channel's loop; one per channel.
 *
 * <p>It also holds every engine to two limits of BoringSSL's, which the JDK's engine lacks: a
 * record announced longer than TLS allows, and more than {@value #MOST_WARNING_ALERTS} alert
 * records, end the handshake at once (for the first record, the ClientHello, in clear: 2^14
 * bytes). The JDK's engine (behind Netty, which waits for a whole
 * record before it hands it over) held a client that announced 65,535 bytes, or sent a
 * thousand warning alerts, until the handshake timeout, 10 s of a session slot, logged as a
 * timeout (probe AT).
 */
final class ClientAlertWatch extends ChannelInboundHandlerAdapter {
    private static final int RECORD_HEADER = 5;
    private static final int ALERT_RECORD = 21;
    private static final int CHANGE_CIPHER_SPEC_RECORD = 20;
    private static final int APPLICATION_DATA_RECORD = 23;
    /** The reason of a client whose first bytes are no TLS record header. */
    static final String NOT_TLS = "TLS handshake: the client did not begin TLS (plain text to a TLS port?)";
    private static final int FATAL = 2;
    /** The longest record in clear TLS allows, as the first, the ClientHello, is: 2^14 bytes. */
    static final int LONGEST_PLAIN_RECORD = 16384;
    /** The longest record TLS allows: 2^14 bytes, and 2,048 of expansion (RFC 5246 6.2.3). */
    static final int LONGEST_RECORD = LONGEST_PLAIN_RECORD + 2048;
    /** As BoringSSL's kMaxWarningAlerts. */
    static final int MOST_WARNING_ALERTS = 4;

    /** The header (and, for a two-byte alert, the body) of the record being read. */
    private final byte[] record = new byte[RECORD_HEADER + 2];
    private int recordBytes;
    /** Bytes of the current record's body still to pass over. */
    private int skip;
    private int alerts;
    private int records;
    private boolean refused;

    /** Adds a watch just before {@code tls}, {@code ch}'s "ssl" handler, until the handshake is done. */
    static void addBefore(Channel ch, SslHandler tls) {
        ClientAlertWatch watch = new ClientAlertWatch();
        ch.pipeline().addBefore("ssl", "tls-client-alert", watch);
        tls.handshakeFuture().addListener(f -> {
            if (ch.pipeline().context(watch) != null) {
                ch.pipeline().remove(watch);
            }
        });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            io.netty.util.ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof ByteBuf b && !scan(ctx, b)) {
            refused = true;
            b.release();
            ctx.close();
            return;
        }
        ctx.fireChannelRead(msg);
    }

    /** Follows {@code b}'s records; false, the session's reason recorded, when it breaks a limit. */
    private boolean scan(ChannelHandlerContext ctx, ByteBuf b) {
        for (int i = b.readerIndex(), end = b.writerIndex(); i < end; ) {
            if (skip > 0) {
                int n = Math.min(skip, end - i);
                skip -= n;
                i += n;
                continue;
            }
            record[recordBytes++] = b.getByte(i++);
            if (recordBytes == RECORD_HEADER) {
                int length = (record[3] & 0xff) << 8 | record[4] & 0xff;
                if (records == 0 && (record[0] < CHANGE_CIPHER_SPEC_RECORD || record[0] > APPLICATION_DATA_RECORD
                        || record[1] != 3)) {
                    // Not a TLS record header. Plain text was "not a TLS record" or, by the
                    // length its bytes spelt, "a record longer than TLS allows", which blamed
                    // a TLS client (probe BA).
                    RelaySession.setReason(ctx.channel(), NOT_TLS);
                    return false;
                }
                // The first record is in clear whatever follows; later ones may be encrypted.
                if (length > (records++ == 0 ? LONGEST_PLAIN_RECORD : LONGEST_RECORD)) {
                    RelaySession.setReason(ctx.channel(), "TLS handshake: a record longer than TLS allows");
                    return false;
                }
                if ((record[0] & 0xff) == ALERT_RECORD && ++alerts > MOST_WARNING_ALERTS) {
                    RelaySession.setReason(ctx.channel(), "TLS handshake: more than " + MOST_WARNING_ALERTS
                            + " alerts from the client");
                    return false;
                }
                if ((record[0] & 0xff) != ALERT_RECORD || record[1] != 3 || length != 2) {
                    skip = length;
                    recordBytes = 0;
                }
            } else if (recordBytes == record.length) {
                recordBytes = 0;
                if (record[RECORD_HEADER] == FATAL) {
                    int code = record[RECORD_HEADER + 1] & 0xff;
                    RelaySession.setReason(ctx.channel(), "TLS handshake: the client's alert " + describe(code));
                }
            }
        }
        return true;
    }

    /** An alert's name and number (RFC 8446 6, RFC 5246 7.2), and what it means for the relay. */
    static String describe(int code) {
        String name = switch (code) {
            case 0 -> "close_notify";
            case 10 -> "unexpected_message";
            case 20 -> "bad_record_mac";
            case 22 -> "record_overflow";
            case 40 -> "handshake_failure";
            case 42 -> "bad_certificate";
            case 43 -> "unsupported_certificate";
            case 44 -> "certificate_revoked";
            case 45 -> "certificate_expired";
            case 46 -> "certificate_unknown";
            case 47 -> "illegal_parameter";
            case 48 -> "unknown_ca";
            case 49 -> "access_denied";
            case 50 -> "decode_error";
            case 51 -> "decrypt_error";
            case 70 -> "protocol_version";
            case 71 -> "insufficient_security";
            case 80 -> "internal_error";
            case 86 -> "inappropriate_fallback";
            case 90 -> "user_canceled";
            case 109 -> "missing_extension";
            case 110 -> "unsupported_extension";
            case 112 -> "unrecognized_name";
            case 116 -> "certificate_required";
            case 120 -> "no_application_protocol";
            default -> "unknown";
        };
        boolean certificate = code >= 42 && code <= 46 || code == 48;
        return name + " (" + code + ")" + (certificate ? ": it refused the relay's certificate" : "");
    }
}
