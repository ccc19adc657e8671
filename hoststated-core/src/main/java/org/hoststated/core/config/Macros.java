package org.hoststated.core.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The macro table of one load. Macros given by the caller (-D) are persistent: a definition
 * in the file does not replace them. Owned by the loading thread.
 */
final class Macros {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    private final Map<String, String> values = new HashMap<>();
    private final Set<String> persistent = new HashSet<>();
    /** Where each macro of the file was defined (first definition), for {@link #unused}. */
    private final Map<String, Pos> definedAt = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    Macros(Map<String, String> fromCaller) {
        if (fromCaller != null) {
            fromCaller.forEach((k, v) -> {
                if (k != null && v != null) {
                    values.put(k, v);
                    persistent.add(k);
                }
            });
        }
    }

    static boolean validName(String name) {
        return NAME.matcher(name).matches() && !Keywords.isKeyword(name);
    }

    /** Defines a macro from the file at {@code at}; ignored when the caller defined the same name. */
    void define(String name, String value, Pos at) {
        definedAt.putIfAbsent(name, at);
        if (!persistent.contains(name)) {
            values.put(name, value);
        }
    }

    String get(String name) {
        String v = values.get(name);
        if (v != null) {
            used.add(name);
        }
        return v;
    }

    /**
     * The macros never expanded, as relayd's {@code -v} warns of them: those of the file where
     * they were defined, then those of the caller ({@code -D}, named by file "-D").
     */
    List<Diagnostic> unused() {
        List<Diagnostic> out = new ArrayList<>();
        definedAt.forEach((name, at) -> {
            if (!used.contains(name)) {
                out.add(new Diagnostic(at.file(), at.line(), "macro '" + name + "' not used"));
            }
        });
        for (String name : new TreeSet<>(persistent)) {
            if (!used.contains(name) && !definedAt.containsKey(name)) {
                out.add(new Diagnostic("-D", 0, "macro '" + name + "' not used"));
            }
        }
        return out;
    }
}
