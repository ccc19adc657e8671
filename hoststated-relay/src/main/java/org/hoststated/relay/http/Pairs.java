package org.hoststated.relay.http;

import java.util.ArrayList;
import java.util.List;

/**
 * The name=value pairs of a query string ({@code &}-separated) or of Cookie fields
 * ({@code ;}-separated), editable by protocol rules and written back in order. Names compare
 * ignoring case, as relayd's node lookup did. A pair without {@code =} keeps a null value.
 * Per message, on the session's worker loop.
 */
final class Pairs {
    final List<String> names = new ArrayList<>();
    final List<String> values = new ArrayList<>();

    static Pairs parse(List<String> parts, char sep) {
        Pairs p = new Pairs();
        for (String whole : parts) {
            int i = 0;
            while (i <= whole.length()) {
                int e = whole.indexOf(sep, i);
                if (e < 0) {
                    e = whole.length();
                }
                String part = whole.substring(i, e).trim();
                if (!part.isEmpty()) {
                    int eq = part.indexOf('=');
                    p.names.add(eq < 0 ? part : part.substring(0, eq));
                    p.values.add(eq < 0 ? null : part.substring(eq + 1));
                }
                i = e + 1;
            }
        }
        return p;
    }

    int size() {
        return names.size();
    }

    boolean nameIs(int i, String key) {
        return names.get(i).equalsIgnoreCase(key);
    }

    /** The value of pair i as rules see it: "" when it has none, cookie quotes removed. */
    String matchValue(int i, boolean unquote) {
        String v = values.get(i);
        if (v == null) {
            return "";
        }
        if (unquote && v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            return v.substring(1, v.length() - 1);
        }
        return v;
    }

    void add(String name, String value) {
        names.add(name);
        values.add(value);
    }

    void remove(int i) {
        names.remove(i);
        values.remove(i);
    }

    String join(String sep) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                b.append(sep);
            }
            b.append(names.get(i));
            if (values.get(i) != null) {
                b.append('=').append(values.get(i));
            }
        }
        return b.toString();
    }
}
