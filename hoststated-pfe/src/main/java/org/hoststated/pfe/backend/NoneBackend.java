package org.hoststated.pfe.backend;

import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@code none} backend: tracks state and changes nothing in the kernel. */
public final class NoneBackend implements L3Backend {
    private static final Logger log = LoggerFactory.getLogger(NoneBackend.class);

    @Override
    public String name() {
        return "none";
    }

    @Override
    public boolean start() {
        return false;
    }

    @Override
    public void apply(List<Redirect> services, List<StateKill> kills, long changedAt) {
        if (log.isDebugEnabled()) {
            for (Redirect r : services) {
                log.debug("service {} would redirect to {} host(s)", r.service(), r.hosts().size());
            }
            for (StateKill k : kills) {
                log.debug("service {}: {}, would {}", k.service(), k.what(), k.closedOnly()
                        ? "remove the states of its closed or unanswered connections" : "kill its states");
            }
        }
    }

    @Override
    public boolean awaitApplied(long timeoutMs) {
        return true;
    }

    @Override
    public void keepRules(boolean keep) {
    }

    @Override
    public void close() {
    }
}
