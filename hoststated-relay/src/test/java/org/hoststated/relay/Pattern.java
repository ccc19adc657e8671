package org.hoststated.relay;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** A reproducible byte stream for transfer tests, and digests to compare streams. */
final class Pattern {
    private Pattern() {
    }

    static byte[] bytes(long offset, int len) {
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            long x = offset + i;
            b[i] = (byte) (x * 31 + (x >>> 9) + (x >>> 17));
        }
        return b;
    }

    static void write(OutputStream out, long size) throws IOException {
        long off = 0;
        while (off < size) {
            int n = (int) Math.min(32 * 1024, size - off);
            out.write(bytes(off, n));
            off += n;
        }
        out.flush();
    }

    static byte[] digest(long size) {
        MessageDigest d = sha256();
        long off = 0;
        while (off < size) {
            int n = (int) Math.min(32 * 1024, size - off);
            d.update(bytes(off, n));
            off += n;
        }
        return d.digest();
    }

    /** Reads {@code in} to EOF; returns {byte count, digest} as a Received. */
    static TestBackend.Received drain(InputStream in) throws IOException {
        MessageDigest d = sha256();
        byte[] buf = new byte[64 * 1024];
        long n = 0;
        for (int r; (r = in.read(buf)) >= 0; ) {
            d.update(buf, 0, r);
            n += r;
        }
        return new TestBackend.Received(n, d.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
