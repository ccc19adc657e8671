package org.hoststated.core.config;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The macro table of one load. Macros given by the caller (-D) are persistent: a definition
 * in the file does not replace them. Owned by the loading thread.
 */
final class Macros {
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    private final Map<String, String> values = new HashMap<>();
    private final Set<String> persistent = new HashSet<>();

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

    /** Defines a macro from the file; ignored when the caller defined the same name. */
    void define(String name, String value) {
        if (!persistent.contains(name)) {
            values.put(name, value);
        }
    }

    String get(String name) {
        return values.get(name);
    }
}
