package org.hoststated.parent;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.hoststated.core.config.CheckType;
import org.hoststated.core.config.Config;
import org.hoststated.core.config.HostConfig;
import org.hoststated.core.config.TableConfig;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.ScriptRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code check script} runs the parent will do for hce: per configuration generation that
 * hce may still run, the script, host name and timeout of each host whose table checks by
 * script. A SCRIPT message only names its generation and host; what runs comes from here. The
 * parent used to run the path and argument the message carried: an hce taken over through a
 * check's answer could have root's parent start any program, outside the chroot, even with no
 * script check configured (probe F; relayd's parent refuses scripts when none is configured).
 * Refusals are warned of at most once a minute, with their count. Event loop only.
 */
final class ScriptChecks {
    private static final Logger log = LoggerFactory.getLogger(ScriptChecks.class);
    /** Generations kept: the one sent last and the one before, which hce runs until it switches. */
    private static final int KEPT = 2;

    private record Script(String path, String hostName, int timeoutMs) {
    }

    private final Map<Integer, Map<Integer, Script>> byGeneration = new LinkedHashMap<>();
    private final ThrottledCount refused = new ThrottledCount();

    /** Generation {@code generation} of the configuration went to the engines. */
    void configured(int generation, Config config) {
        Map<Integer, Script> scripts = new HashMap<>();
        for (TableConfig t : config.activeTables()) {
            if (t.check() != null && t.check().type() == CheckType.SCRIPT) {
                for (HostConfig h : t.hosts()) {
                    scripts.put(h.id(), new Script(t.check().script(), h.name(), t.timeoutMs()));
                }
            }
        }
        byGeneration.put(generation, scripts);
        while (byGeneration.size() > KEPT) {
            byGeneration.remove(byGeneration.keySet().iterator().next());
        }
    }

    /**
     * The run hce may ask for with {@code asked}: its host's script, name and timeout in that
     * generation's configuration; null (with a warning) when that host is not checked by script.
     */
    ScriptRequest trusted(ScriptRequest asked) {
        Script s = byGeneration.getOrDefault(asked.generation(), Map.of()).get(asked.hostId());
        if (s == null) {
            refused(asked);
            return null;
        }
        return new ScriptRequest(asked.generation(), asked.hostId(), s.path(), s.hostName(), s.timeoutMs());
    }

    private void refused(ScriptRequest asked) {
        long n = refused.add();
        if (n > 0) {
            log.warn("hce asked for a check script for host id {} of configuration {}, which that configuration "
                    + "does not check by script: refused ({} since the last such warning)", asked.hostId(),
                    asked.generation(), n);
        }
    }
}
