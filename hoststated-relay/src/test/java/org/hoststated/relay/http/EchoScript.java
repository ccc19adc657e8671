package org.hoststated.relay.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A keep-alive backend script: answers each request with a 200 whose body is the exact request
 * (head and raw body bytes, chunk framing included) as the backend received it, so tests can
 * check what the relay forwarded. Records each request head in {@link RawBackend#seen}.
 */
final class EchoScript implements RawBackend.Script {
    @Override
    public void serve(RawBackend backend, InputStream in, OutputStream out) throws IOException {
        while (true) {
            String head = RawBackend.head(in);
            if (head == null) {
                return;
            }
            backend.seen.add(head);
            byte[] body = body(head, in);
            byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
            String lower = head.toLowerCase(Locale.ROOT);
            boolean close = lower.contains("connection: close") || lower.startsWith("get / http/1.0")
                    && !lower.contains("keep-alive");
            RawBackend.write(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Backend: "
                    + backend.address().getPort() + "\r\nContent-Length: " + (h.length + body.length) + "\r\n"
                    + (close ? "Connection: close\r\n" : "") + "\r\n");
            out.write(h);
            out.write(body);
            out.flush();
            if (close) {
                return;
            }
        }
    }

    /** The raw body bytes of the request with {@code head}. */
    static byte[] body(String head, InputStream in) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("transfer-encoding: chunked")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String size = line(in, b);
                int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                if (n == 0) {
                    while (!line(in, b).isEmpty()) {
                        // trailer fields
                    }
                    return b.toByteArray();
                }
                b.write(in.readNBytes(n));
                line(in, b);
            }
        }
        int i = lower.indexOf("content-length:");
        if (i < 0) {
            return new byte[0];
        }
        int e = lower.indexOf('\r', i);
        return in.readNBytes(Integer.parseInt(lower.substring(i + 15, e).trim()));
    }

    private static String line(InputStream in, ByteArrayOutputStream copy) throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("EOF in chunked body");
            }
            copy.write(c);
            s.append((char) c);
        }
        copy.write('\n');
        return s.toString().trim();
    }
}
