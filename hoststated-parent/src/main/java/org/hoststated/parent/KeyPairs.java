package org.hoststated.parent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.RelayConfig;
import org.hoststated.core.msg.TlsKeyPair;

/**
 * Reads the certificate and key of each relay that listens with {@code ssl}, named as in the
 * original: {@code /etc/ssl/<address>.crt} and {@code /etc/ssl/private/<address>.key}. The
 * parent reads them as root; the chrooted relay engine gets them over its channel.
 */
final class KeyPairs {
    /** Where the files are looked for; tests point it elsewhere. */
    static final String SSL_DIR_PROPERTY = "hoststated.ssl.dir";

    private KeyPairs() {
    }

    static Map<Integer, TlsKeyPair> read(Config config, int generation) throws IOException {
        Path dir = Path.of(System.getProperty(SSL_DIR_PROPERTY, "/etc/ssl"));
        Map<Integer, TlsKeyPair> out = new HashMap<>();
        for (RelayConfig r : config.relays()) {
            if (!r.listen().ssl()) {
                continue;
            }
            String addr = r.listen().address().getHostAddress();
            Path crt = dir.resolve(addr + ".crt");
            Path key = dir.resolve("private").resolve(addr + ".key");
            out.put(r.id(), new TlsKeyPair(generation, r.id(), read(crt, r), read(key, r)));
        }
        return out;
    }

    private static byte[] read(Path p, RelayConfig r) throws IOException {
        try {
            if (Files.size(p) > TlsKeyPair.MAX_PEM) {
                throw new IOException("relay " + r.name() + ": " + p + " is larger than " + TlsKeyPair.MAX_PEM + " bytes");
            }
            return Files.readAllBytes(p);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": no such file", e);
        } catch (IOException e) {
            throw new IOException("relay " + r.name() + ": cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
