package org.hoststated.relay;

import org.hoststated.core.proc.EngineMain;

/** Entry point of the relay engine process, started by the parent. */
public final class RelayMain {
    private RelayMain() {
    }

    public static void main(String[] args) {
        EngineMain.run(new RelayEngine());
    }
}
