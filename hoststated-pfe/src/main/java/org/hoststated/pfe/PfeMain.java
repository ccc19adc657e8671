package org.hoststated.pfe;

import org.hoststated.core.proc.EngineMain;

/** Entry point of the pf engine's JVM, started by the parent. */
public final class PfeMain {
    private PfeMain() {
    }

    public static void main(String[] args) {
        EngineMain.run(new Pfe());
    }
}
