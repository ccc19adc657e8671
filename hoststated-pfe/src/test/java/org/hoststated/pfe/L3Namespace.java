package org.hoststated.pfe;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The network namespace of a layer-3 test class ({@link Netns#forL3}), made before its tests
 * (or skipping them where it cannot be) and removed after them. {@code
 * -Dhoststated.it.netns=PREFIX} names it PREFIX-suffix, l3-suffix by default.
 */
final class L3Namespace implements BeforeAllCallback, AfterAllCallback {
    final String name;
    private final String veth;
    private Netns netns;

    /** @param veth the prefix of the namespace's veth pair, unique among the test classes */
    L3Namespace(String suffix, String veth) {
        this.name = System.getProperty("hoststated.it.netns", "l3") + "-" + suffix;
        this.veth = veth;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        netns = Netns.forL3(name, veth);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (netns != null) {
            netns.close();
        }
    }

    Netns netns() {
        return netns;
    }
}
