package org.hoststated.relay.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.NetUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * The responses the relay answers itself, each followed by closing the connection: with
 * {@code return error}, relayd's HTML page (status, reason, the relay's address, the
 * protocol's {@code style} CSS); otherwise a short plain-text response, so a client refused
 * for bad framing still learns why. Stateless.
 */
final class ErrorPage {
    static final String SERVER = "hoststated";
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", java.util.Locale.US);
    private static final String DEFAULT_STYLE = "body { background-color: #a00000; color: white; }";

    private ErrorPage() {
    }

    static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 403 -> "Forbidden";
            case 405 -> "Method Not Allowed";
            case 408 -> "Request Timeout";
            case 413 -> "Request Entity Too Large";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 500 -> "Internal Server Error";
            case 501 -> "Not Implemented";
            case 502 -> "Bad Gateway";
            case 503 -> "Service Unavailable";
            case 504 -> "Gateway Timeout";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }

    /**
     * The response for {@code status}.
     *
     * @param html {@code return error}: the HTML page, else plain text
     * @param style the protocol's CSS, or null for relayd's default
     * @param detail what went wrong, shown on the HTML page except for a 500
     * @param label the {@code label} of the rule that refused the request, or null
     * @param relay the address the client connected to
     * @param content false for an answer to HEAD: the head alone, with the Content-Length a GET
     *        would get (RFC 9110 9.3.2)
     */
    static ByteBuf render(ByteBufAllocator alloc, int status, boolean html, String style, String detail,
            String label, InetSocketAddress relay, boolean content) {
        String reason = reason(status);
        String body;
        String type;
        if (html) {
            // The style goes out as written (UTF-8); the texts as character references.
            type = "text/html; charset=utf-8";
            body = "<!DOCTYPE html>\n<html>\n<head>\n<title>" + status + " " + reason + "</title>\n"
                    + "<style type=\"text/css\"><!--\n" + (style != null ? style : DEFAULT_STYLE) + "\n--></style>\n"
                    + "</head>\n<body>\n<h1>" + reason + "</h1>\n"
                    + "<p>" + (status == 500 ? "" : escape(detail)) + "</p>\n"
                    + (label == null ? "" : "<p>" + escape(label) + "</p>\n")
                    + "<hr><address>" + SERVER + " at " + NetUtil.toAddressString(relay.getAddress()) + " port "
                    + relay.getPort() + "</address>\n</body>\n</html>\n";
        } else {
            type = "text/plain";
            body = status + " " + reason + "\n";
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + "Date: " + DATE.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n"
                + "Server: " + SERVER + "\r\n"
                + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + b.length + "\r\n"
                + "Connection: close\r\n\r\n";
        ByteBuf out = alloc.buffer(head.length() + (content ? b.length : 0));
        out.writeCharSequence(head, StandardCharsets.US_ASCII);
        if (content) {
            out.writeBytes(b);
        }
        return out;
    }

    /**
     * {@code s} for the page: markup characters and letters beyond ASCII as character
     * references, control characters as '?'. A label in another language than English showed
     * each such letter as '?' (probe Y: "Acc?s refus?").
     */
    private static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        s.codePoints().forEach(c -> {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                default -> {
                    if (c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 || Character.getType(c) == Character.SURROGATE) {
                        b.append('?');
                    } else if (c > 0x7e) {
                        b.append("&#x").append(Integer.toHexString(c)).append(';');
                    } else {
                        b.append((char) c);
                    }
                }
            }
        });
        return b.toString();
    }
}
