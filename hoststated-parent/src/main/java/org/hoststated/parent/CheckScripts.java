package org.hoststated.parent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.hoststated.core.config.CheckType;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.FileTrust;
import org.hoststated.core.config.TableConfig;

/**
 * What {@code hoststated -n} can tell about the {@code check script} programs: one that is
 * missing or not executable marks its hosts down at every check, which the daemon can only
 * report once it runs. Warnings, not errors, as for certificates: the file may be installed
 * after the configuration is tested. A path is judged as the daemon runs it: a name without
 * a '/' is looked up in the scripts' search path (not in the directory -n runs in), and a
 * relative path is taken from the daemon's working directory, which is / under systemd.
 */
final class CheckScripts {
    private CheckScripts() {
    }

    /** Whether any table in use checks its hosts with a script. */
    static boolean used(Config config) {
        return config.activeTables().stream().anyMatch(CheckScripts::checksByScript);
    }

    private static boolean checksByScript(TableConfig t) {
        return t.check() != null && t.check().type() == CheckType.SCRIPT;
    }

    static List<String> problems(Config config) {
        List<String> out = new ArrayList<>();
        for (TableConfig t : config.activeTables()) {
            if (!checksByScript(t)) {
                continue;
            }
            String script = t.check().script();
            String at = "table " + t.name() + ": check script " + script + ": ";
            if (!script.contains("/")) {
                Optional<Path> found = onSearchPath(script);
                if (found.isEmpty()) {
                    out.add(at + "not found in " + ScriptRunner.SEARCH_PATH
                            + ", where a name without '/' is looked up");
                } else if (!Files.isExecutable(found.get())) {
                    out.add(at + found.get() + " is not executable");
                }
                continue;
            }
            Path p = Path.of(script);
            if (!p.isAbsolute()) {
                out.add(at + "a relative path, taken from the daemon's working directory");
            }
            if (!Files.isRegularFile(p)) {
                out.add(at + (Files.exists(p) ? "not a regular file" : "no such file"));
            } else if (!Files.isExecutable(p)) {
                out.add(at + "not executable");
            } else {
                String untrusted = untrusted(p);
                if (untrusted != null) {
                    out.add(at + untrusted + "; the daemon will not run it");
                }
            }
        }
        return out;
    }

    /**
     * Why the script at {@code p} is not run, or null: it runs as the engines' user, so whoever
     * may change it, or may have made it ({@link FileTrust#untrusted}), may stop their checks
     * and signal the engines (probe G; probe AN: another user's script in /tmp stopped the
     * relay engine with SIGSTOP). One whose path cannot be followed is not run either.
     */
    static String untrusted(Path p) {
        String why;
        try {
            why = FileTrust.untrusted(p);
        } catch (java.nio.file.NoSuchFileException e) {
            // A typo, not an intruder: said as -n says it (probe BA).
            return "no such file";
        } catch (java.io.IOException e) {
            // Not taken as trusted: a path the check cannot follow was one it let through (probe AQ).
            return "its path cannot be followed (" + org.hoststated.core.posix.SystemError.text(e) + ")";
        }
        return why == null ? null : why + ": anyone could run what they like through it as the daemon's user";
    }

    /** The first regular file named {@code name} in the scripts' search path, as sh finds it. */
    private static Optional<Path> onSearchPath(String name) {
        return onSearchPath(name, Files::isRegularFile);
    }

    /** The first file named {@code name} in the scripts' search path that {@code fits}. */
    static Optional<Path> onSearchPath(String name, java.util.function.Predicate<Path> fits) {
        for (String dir : ScriptRunner.SEARCH_PATH.split(":")) {
            Path p = Path.of(dir, name);
            if (fits.test(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
