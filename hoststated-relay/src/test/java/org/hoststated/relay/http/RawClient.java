package org.hoststated.relay.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A client on a plain socket that writes exactly the bytes a test gives it and reads responses
 * strictly by their framing, so tests see what the relay really sent (a client library would
 * normalise or hide it).
 */
final class RawClient implements AutoCloseable {
    /** One response as read: status, fields (lower-case names), body, and the head's text. */
    record Response(int status, Map<String, List<String>> headers, byte[] body, String head) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : v.get(0);
        }

        String text() {
            return new String(body, StandardCharsets.ISO_8859_1);
        }
    }

    final Socket socket;
    final InputStream in;
    final OutputStream out;

    RawClient(InetSocketAddress relay) throws IOException {
        this(plain(relay));
    }

    private static Socket plain(InetSocketAddress relay) throws IOException {
        Socket s = new Socket();
        s.connect(relay, 5000);
        return s;
    }

    /** Over {@code s}, connected already (a TLS socket, for instance). */
    RawClient(Socket s) throws IOException {
        socket = s;
        socket.setSoTimeout(10_000); // a hang fails the test instead of blocking the build
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    RawClient send(String s) throws IOException {
        return send(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] b) throws IOException {
        out.write(b);
        out.flush();
        return this;
    }

    String line() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; (c = in.read()) != '\n'; ) {
            if (c < 0) {
                throw new IOException("EOF within a line: " + b.toString(StandardCharsets.ISO_8859_1));
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        if (!s.endsWith("\r")) {
            throw new IOException("line without CR: " + s);
        }
        return s.substring(0, s.length() - 1);
    }

    /** Reads one response to a request (not HEAD). */
    Response read() throws IOException {
        return read(false);
    }

    Response read(boolean headRequest) throws IOException {
        StringBuilder raw = new StringBuilder();
        String status = line();
        raw.append(status).append("\r\n");
        Map<String, List<String>> h = new LinkedHashMap<>();
        for (String l; !(l = line()).isEmpty(); ) {
            raw.append(l).append("\r\n");
            int c = l.indexOf(':');
            h.computeIfAbsent(l.substring(0, c).toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                    .add(l.substring(c + 1).trim());
        }
        int code = Integer.parseInt(status.substring(9, 12));
        byte[] body;
        if (headRequest || code == 204 || code == 304 || code < 200) {
            body = new byte[0];
        } else if (h.containsKey("transfer-encoding")) {
            body = chunked(raw);
        } else if (h.containsKey("content-length")) {
            body = in.readNBytes(Integer.parseInt(h.get("content-length").get(0)));
        } else {
            body = in.readAllBytes();
        }
        return new Response(code, h, body, raw.toString());
    }

    private byte[] chunked(StringBuilder raw) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        while (true) {
            int size = Integer.parseInt(line().split(";")[0].trim(), 16);
            if (size == 0) {
                for (String l; !(l = line()).isEmpty(); ) {
                    raw.append("trailer ").append(l).append("\r\n");
                }
                return b.toByteArray();
            }
            b.write(in.readNBytes(size));
            line();
        }
    }

    /** Whether the relay closed the connection (EOF or reset) without sending more. */
    boolean closed() throws IOException {
        try {
            return in.read() < 0;
        } catch (SocketException e) {
            return true;
        }
    }

    /** Everything until the relay closes (a FIN, or a reset after the bytes before it). */
    String rest() throws IOException {
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) >= 0; ) {
                got.write(buf, 0, n);
            }
        } catch (SocketException e) {
            // a reset: what came before it stands
        }
        return got.toString(StandardCharsets.ISO_8859_1);
    }

    /** Whether the relay ended the connection with a reset (after any bytes still to read). */
    boolean reset() throws IOException {
        byte[] buf = new byte[8192];
        try {
            while (in.read(buf) >= 0) {
                // skip
            }
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
