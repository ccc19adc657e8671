package org.hoststated.parent;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.config.CheckType;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.TableConfig;

/**
 * What {@code hoststated -n} can tell about the {@code check script} programs: one that is
 * missing or not executable marks its hosts down at every check, which the daemon can only
 * report once it runs. Warnings, not errors, as for certificates: the file may be installed
 * after the configuration is tested.
 */
final class CheckScripts {
    private CheckScripts() {
    }

    static List<String> problems(Config config) {
        List<String> out = new ArrayList<>();
        for (TableConfig t : config.activeTables()) {
            if (t.check() == null || t.check().type() != CheckType.SCRIPT) {
                continue;
            }
            Path p = Path.of(t.check().script());
            if (!Files.isRegularFile(p)) {
                out.add("table " + t.name() + ": check script " + p + ": no such file");
            } else if (!Files.isExecutable(p)) {
                out.add("table " + t.name() + ": check script " + p + ": not executable");
            }
        }
        return out;
    }
}
