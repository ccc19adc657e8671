package org.hoststated.hce;

import org.hoststated.core.proc.EngineMain;

/** Entry point of the health check engine's JVM, started by the parent. */
public final class HceMain {
    private HceMain() {
    }

    public static void main(String[] args) {
        EngineMain.run(new Hce());
    }
}
