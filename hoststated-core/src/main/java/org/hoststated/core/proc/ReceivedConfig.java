package org.hoststated.core.proc;

import java.util.Map;
import org.hoststated.core.config.Config;
import org.hoststated.core.msg.TlsKeyPair;

/** One configuration generation as an engine received it. */
public record ReceivedConfig(int generation, Config config, Map<Integer, TlsKeyPair> keyPairs) {
}
