package org.hoststated.parent;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.hoststated.core.config.Globals;

/**
 * The global options a reload cannot apply: the control socket is bound, and the engines
 * dropped to the user inside the chroot (and a restarted engine drops to them again), once,
 * at start. A reload that changes them succeeds with the rest, so the operator is told, rather
 * than finding hoststatectl unable to reach the new socket path.
 */
final class StartOnlySettings {
    private StartOnlySettings() {
    }

    /** @return one warning per option changed from {@code started} to {@code next} */
    static List<String> ignored(Globals started, Globals next) {
        List<String> w = new ArrayList<>();
        note(w, "socket", started.socket(), next.socket());
        note(w, "user", started.user(), next.user());
        note(w, "chroot", started.chroot(), next.chroot());
        return w;
    }

    private static void note(List<String> w, String option, String running, String next) {
        if (!Objects.equals(running, next)) {
            w.add(option + " " + next + " takes effect at restart; " + running + " stays in use");
        }
    }
}
