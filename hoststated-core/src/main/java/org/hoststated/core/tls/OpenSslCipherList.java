package org.hoststated.core.tls;

import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The {@code ssl ciphers} string of a protocol, in OpenSSL's cipher list language (the
 * original's default is {@code HIGH:!ADH}), applied to the cipher suites the JDK enables by
 * default. Supported: words joined by {@code :}, {@code ,} or spaces; the prefixes {@code !}
 * (remove for good), {@code -} (remove), {@code +} (move to the end); {@code a+b}
 * (suites that are both); {@code @STRENGTH}; the usual aliases ({@code ALL}, {@code DEFAULT},
 * {@code HIGH}, {@code MEDIUM}, {@code ECDHE}/{@code EECDH}, {@code DHE}/{@code EDH},
 * {@code kRSA}/{@code RSA}, {@code aRSA}, {@code aECDSA}, {@code aNULL}, {@code eNULL},
 * {@code ADH}, {@code AES}, {@code AES128}, {@code AES256}, {@code AESGCM},
 * {@code CHACHA20}, {@code 3DES}, {@code SHA1}, {@code SHA256}, {@code SHA384}, ...) and
 * single suites by their OpenSSL or IANA names. As in OpenSSL, words it does not know are
 * skipped, and the string only governs TLS 1.2 (TLS 1.3's suites are always offered).
 * Stateless.
 */
public final class OpenSslCipherList {
    /** The suites the list chose (TLS 1.3 suites first), and the words it did not know. */
    public record Result(List<String> suites, List<String> unknownWords) {
        /** The words that name no suite at all (skipped, as OpenSSL does). */
        public List<String> notKnown() {
            return unknownWords.stream().filter(w -> !isTls13Suite(w)).toList();
        }

        /** The words that name TLS 1.3 suites, which the list cannot choose: they are always offered. */
        public List<String> tls13Suites() {
            return unknownWords.stream().filter(OpenSslCipherList::isTls13Suite).toList();
        }
    }

    /** The TLS 1.3 suites by their standard names, which a TLS 1.2 cipher list does not take. */
    private static final Set<String> TLS13_SUITES = Set.of("TLS_AES_128_GCM_SHA256",
            "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_CCM_SHA256",
            "TLS_AES_128_CCM_8_SHA256");

    /** Whether {@code word} of a list is the name of a TLS 1.3 suite. */
    public static boolean isTls13Suite(String word) {
        String w = word.startsWith("!") || word.startsWith("-") || word.startsWith("+") ? word.substring(1) : word;
        return TLS13_SUITES.contains(w.toUpperCase(Locale.ROOT));
    }

    /** The {@code @SECLEVEL=n} command of {@code spec}, as written, or null. */
    public static String securityLevel(String spec) {
        for (String word : spec.trim().split(SEPARATORS)) {
            if (word.toUpperCase(Locale.ROOT).startsWith("@SECLEVEL=")) {
                return word;
            }
        }
        return null;
    }

    /** What separates the words of a list. */
    private static final String SEPARATORS = "[:, ;]+";

    private OpenSslCipherList() {
    }

    /**
     * The first word of {@code spec} that is a command OpenSSL does not have (it knows
     * {@code @STRENGTH} and {@code @SECLEVEL=0} to {@code 5}), or null. OpenSSL refuses a whole
     * list with such a word ("Error in cipher list"), unlike an unknown cipher word, which it
     * skips: the configuration refuses it too, where {@link #apply} would pass over it.
     */
    public static String invalidCommand(String spec) {
        for (String word : spec.trim().split(SEPARATORS)) {
            if (word.startsWith("@") && !word.equalsIgnoreCase("@STRENGTH")
                    && !word.toUpperCase(Locale.ROOT).matches("@SECLEVEL=[0-5]")) {
                return word;
            }
        }
        return null;
    }

    /**
     * Whether {@code suites} (Java names, as {@link #apply} gives them) hold a TLS 1.2 suite
     * that a server whose key is of {@code keyAlgorithm} ("RSA" or "EC") can sign with. TLS 1.3
     * suites fit either, but Netty picks the server's key by the TLS 1.2 suites configured:
     * with none that fits, BoringSSL failed every handshake, TLS 1.3 too, with an
     * internal_error ("Unable to find key material").
     */
    public static boolean fitsKey(List<String> suites, String keyAlgorithm) {
        String auth = keyAlgorithm.equals("EC") ? "_ECDSA_" : "_RSA_";
        return suites.stream().anyMatch(s -> s.contains("_WITH_") && s.contains(auth));
    }

    /** The suites the JDK enables by default, in its order of preference. */
    public static List<String> jdkDefaultSuites() {
        try {
            return Arrays.asList(javax.net.ssl.SSLContext.getDefault().getDefaultSSLParameters().getCipherSuites());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context in this JDK", e);
        }
    }

    /**
     * Applies {@code spec} to {@code available} (the JDK's default suites, in its order of
     * preference).
     *
     * @throws IllegalArgumentException when no TLS 1.2 suite is left
     */
    public static Result apply(String spec, List<String> available) {
        List<Suite> all = new ArrayList<>();
        List<String> fixed = new ArrayList<>();
        for (String name : available) {
            Suite s = Suite.of(name);
            if (s == null) {
                // TLS 1.3 suites and the renegotiation SCSV are not the list's business.
                fixed.add(name);
            } else {
                all.add(s);
            }
        }
        List<Suite> list = new ArrayList<>();
        Set<Suite> killed = new HashSet<>();
        List<String> unknown = new ArrayList<>();
        for (String word : spec.trim().split(SEPARATORS)) {
            if (word.isEmpty()) {
                continue;
            }
            if (word.equalsIgnoreCase("@STRENGTH")) {
                list.sort(Comparator.comparingInt((Suite s) -> s.bits).reversed());
                continue;
            }
            if (word.startsWith("@")) {
                continue; // @SECLEVEL=n: the JDK's own policy decides.
            }
            char op = word.charAt(0);
            String expr = op == '!' || op == '-' || op == '+' ? word.substring(1) : word;
            List<Suite> matched = match(expr, all);
            if (matched == null) {
                unknown.add(word);
                continue;
            }
            switch (op) {
                case '!' -> {
                    list.removeAll(matched);
                    killed.addAll(matched);
                }
                case '-' -> list.removeAll(matched);
                case '+' -> {
                    List<Suite> moved = new ArrayList<>(list);
                    moved.retainAll(matched);
                    list.removeAll(moved);
                    list.addAll(moved);
                }
                default -> {
                    for (Suite s : matched) {
                        if (!killed.contains(s) && !list.contains(s)) {
                            list.add(s);
                        }
                    }
                }
            }
        }
        if (list.isEmpty()) {
            throw new IllegalArgumentException("ciphers \"" + spec + "\" leave no TLS 1.2 cipher suite");
        }
        Set<String> out = new LinkedHashSet<>();
        for (String f : fixed) {
            if (f.startsWith("TLS_") && !f.contains("_WITH_") && !f.endsWith("_SCSV")) {
                out.add(f);
            }
        }
        list.forEach(s -> out.add(s.name));
        for (String f : fixed) {
            out.add(f);
        }
        return new Result(List.copyOf(out), List.copyOf(unknown));
    }

    /** The suites an expression ({@code a+b+c}) matches in {@code all}'s order, or null if it names nothing known. */
    private static List<Suite> match(String expr, List<Suite> all) {
        String[] parts = expr.split("\\+");
        for (Suite s : all) {
            if (s.name.equalsIgnoreCase(expr) || s.openSslName.equalsIgnoreCase(expr)) {
                return List.of(s);
            }
        }
        List<Suite> out = new ArrayList<>();
        for (String p : parts) {
            if (!Suite.KNOWN_TAGS.contains(p.toUpperCase(Locale.ROOT))) {
                return null;
            }
        }
        for (Suite s : all) {
            boolean all3 = true;
            for (String p : parts) {
                all3 &= s.tags.contains(p.toUpperCase(Locale.ROOT));
            }
            if (all3) {
                out.add(s);
            }
        }
        return out;
    }

    /** One TLS 1.2-or-older suite with the OpenSSL aliases it belongs to (upper case). */
    private static final class Suite {
        static final Set<String> KNOWN_TAGS = Set.of("ALL", "DEFAULT", "COMPLEMENTOFALL", "COMPLEMENTOFDEFAULT", "HIGH",
                "MEDIUM", "LOW", "KECDHE", "ECDHE", "EECDH", "KEECDH", "KDHE", "KEDH", "DHE", "EDH", "KRSA", "RSA", "ARSA",
                "AECDSA", "ECDSA", "ADSS", "DSS", "ANULL", "ENULL", "NULL", "ADH", "AECDH", "KECDH", "ECDH", "AES",
                "AES128", "AES256", "AESGCM", "AESCCM", "CHACHA20", "3DES", "RC4", "CAMELLIA", "ARIA", "SHA1", "SHA",
                "SHA256", "SHA384", "AEAD", "TLSV1.2", "TLSV1", "SSLV3", "KPSK", "PSK", "APSK",
                // OpenSSL's names of what no suite here has: known, so that "!MD5" in a copied
                // list is not warned of as unknown (probe D), and match nothing.
                "MD5", "EXPORT", "EXP", "DES", "IDEA", "SEED", "RC2");

        final String name;
        final String openSslName;
        final Set<String> tags = new HashSet<>();
        int bits;

        private Suite(String name, String openSslName) {
            this.name = name;
            this.openSslName = openSslName;
        }

        /** Null for names that are not {@code TLS_<kx>_WITH_<cipher>_<mac>}. */
        static Suite of(String name) {
            int with = name.indexOf("_WITH_");
            if (!name.startsWith("TLS_") || with < 0) {
                return null;
            }
            String kx = name.substring(4, with);
            String rest = name.substring(with + 6);
            int lastUnderscore = rest.lastIndexOf('_');
            String cipher = rest.substring(0, lastUnderscore);
            String mac = rest.substring(lastUnderscore + 1);
            Suite s = new Suite(name, openSslName(kx, cipher, mac));
            s.keyExchange(kx);
            s.cipher(cipher);
            s.tags.add(mac.equals("SHA") ? "SHA1" : mac);
            if (mac.equals("SHA")) {
                s.tags.add("SHA");
            }
            s.tags.add(mac.equals("SHA") && !cipher.contains("GCM") && !cipher.contains("POLY1305") ? "TLSV1" : "TLSV1.2");
            if (!s.tags.contains("ENULL")) {
                s.tags.add("ALL");
                if (!s.tags.contains("ANULL")) {
                    s.tags.add("DEFAULT");
                }
            } else {
                s.tags.add("COMPLEMENTOFALL");
            }
            if (s.tags.contains("ANULL")) {
                s.tags.add("COMPLEMENTOFDEFAULT");
            }
            return s;
        }

        private void keyExchange(String kx) {
            switch (kx) {
                case "ECDHE_ECDSA" -> tags.addAll(List.of("KECDHE", "ECDHE", "EECDH", "KEECDH", "AECDSA", "ECDSA"));
                case "ECDHE_RSA" -> tags.addAll(List.of("KECDHE", "ECDHE", "EECDH", "KEECDH", "ARSA"));
                case "DHE_RSA" -> tags.addAll(List.of("KDHE", "KEDH", "DHE", "EDH", "ARSA"));
                case "DHE_DSS" -> tags.addAll(List.of("KDHE", "KEDH", "DHE", "EDH", "ADSS", "DSS"));
                case "RSA" -> tags.addAll(List.of("KRSA", "RSA", "ARSA"));
                case "ECDH_ECDSA" -> tags.addAll(List.of("KECDH", "ECDH", "AECDSA", "ECDSA"));
                case "ECDH_RSA" -> tags.addAll(List.of("KECDH", "ECDH", "ARSA"));
                case "DH_anon" -> tags.addAll(List.of("KDHE", "KEDH", "DHE", "EDH", "ANULL", "ADH"));
                case "ECDH_anon" -> tags.addAll(List.of("KECDHE", "ECDHE", "EECDH", "ANULL", "AECDH"));
                default -> {
                    if (kx.contains("PSK")) {
                        tags.addAll(List.of("KPSK", "PSK", "APSK"));
                    }
                }
            }
        }

        private void cipher(String c) {
            if (c.startsWith("AES_128")) {
                tags.addAll(List.of("AES", "AES128"));
                bits = 128;
            } else if (c.startsWith("AES_256")) {
                tags.addAll(List.of("AES", "AES256"));
                bits = 256;
            } else if (c.startsWith("CHACHA20")) {
                tags.addAll(List.of("CHACHA20", "AEAD"));
                bits = 256;
            } else if (c.startsWith("3DES")) {
                tags.add("3DES");
                bits = 112;
            } else if (c.startsWith("RC4")) {
                tags.add("RC4");
                bits = 128;
            } else if (c.startsWith("CAMELLIA") || c.startsWith("ARIA")) {
                tags.add(c.substring(0, c.indexOf('_')));
                bits = c.contains("256") ? 256 : 128;
            } else if (c.equals("NULL")) {
                tags.addAll(List.of("ENULL", "NULL"));
            }
            if (c.endsWith("GCM")) {
                tags.addAll(List.of("AESGCM", "AEAD"));
            } else if (c.contains("CCM")) {
                tags.addAll(List.of("AESCCM", "AEAD"));
            }
            if (bits > 0) {
                tags.add(bits >= 128 && !tags.contains("3DES") && !tags.contains("RC4") ? "HIGH" : "MEDIUM");
            }
        }

        /** OpenSSL's name for the common suites ({@code ECDHE-RSA-AES128-GCM-SHA256}, {@code AES256-SHA}, ...). */
        private static String openSslName(String kx, String cipher, String mac) {
            String prefix = switch (kx) {
                case "RSA" -> "";
                case "DH_anon" -> "ADH-";
                case "ECDH_anon" -> "AECDH-";
                default -> kx.replace('_', '-') + "-";
            };
            String enc = cipher.replace("AES_128_CBC", "AES128").replace("AES_256_CBC", "AES256")
                    .replace("AES_128_GCM", "AES128-GCM").replace("AES_256_GCM", "AES256-GCM")
                    .replace("3DES_EDE_CBC", "DES-CBC3").replace("RC4_128", "RC4").replace('_', '-');
            return enc.endsWith("POLY1305") ? prefix + enc : prefix + enc + "-" + mac;
        }
    }
}
