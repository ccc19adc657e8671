package org.hoststated.core.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PEM blocks of a file, in order, each with its DER content or what is wrong with it. Text
 * around and between blocks is skipped, as OpenSSL skips it (the "Bag Attributes" of a PKCS#12
 * export, {@code openssl x509 -text} output). A block that begins but is damaged (no END line,
 * bad base64) is kept as damaged rather than skipped, so that the reader can refuse the file:
 * a damaged intermediate skipped was a chain served short without a word.
 */
record PemBlocks(List<Block> blocks) {
    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----");

    /**
     * One block. {@code der} is null when {@code damage} says why; {@code headers} is true for
     * a block with RFC 1421 headers ({@code Proc-Type}, {@code DEK-Info}: a key encrypted in the
     * old way).
     */
    record Block(String label, byte[] der, String damage, boolean headers) {
    }

    static PemBlocks read(byte[] pem) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        List<Block> out = new ArrayList<>();
        Matcher m = BEGIN.matcher(text);
        int from = 0;
        while (m.find(from)) {
            String label = m.group(1);
            String end = "-----END " + label + "-----";
            int bodyStart = m.end();
            int endAt = text.indexOf(end, bodyStart);
            Matcher next = BEGIN.matcher(text);
            boolean nextBegins = next.find(bodyStart) && (endAt < 0 || next.start() < endAt);
            if (endAt < 0 || nextBegins) {
                out.add(new Block(label, null, "no END " + label + " line", false));
                from = nextBegins ? next.start() : text.length();
                continue;
            }
            out.add(block(label, text.substring(bodyStart, endAt)));
            from = endAt + end.length();
        }
        return new PemBlocks(out);
    }

    private static Block block(String label, String body) {
        boolean headers = body.contains(":");
        if (headers) {
            // The base64 starts after the blank line that ends the headers.
            int blank = body.replace("\r", "").indexOf("\n\n");
            body = blank < 0 ? "" : body.replace("\r", "").substring(blank + 2);
        }
        try {
            return new Block(label, Base64.getDecoder().decode(strictBase64(body)), null, headers);
        } catch (IllegalArgumentException e) {
            return new Block(label, null, "bad base64", headers);
        }
    }

    /**
     * {@code body} without its line breaks and blanks; throws on any other character (a MIME
     * decoder would skip it and decode the rest into a certificate that does not parse, or one
     * that is not the file's).
     */
    private static String strictBase64(String body) {
        StringBuilder b = new StringBuilder(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\n' || c == '\r' || c == ' ' || c == '\t') {
                continue;
            }
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/'
                    || c == '=')) {
                throw new IllegalArgumentException("not base64: " + c);
            }
            b.append(c);
        }
        return b.toString();
    }
}
