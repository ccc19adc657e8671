package org.hoststated.relay.http;

import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Whether a 101 switches to a protocol its request offered (RFC 9110 7.8: a server must not
 * switch to one the client did not name). The relay tunnels a 101 only then: a server that
 * switched a websocket offer to h2c would otherwise open HTTP/2 inside a tunnel, past the
 * request rules that the relay keeps h2c offers from servers for (HttpHead#upgradeRelayed).
 * Protocols compare by name, without case and without their versions.
 */
final class UpgradeOffer {
    private UpgradeOffer() {
    }

    /**
     * Null when {@code answered}, the 101's Upgrade fields, names only protocols of
     * {@code offered}, the request's; else why not, for the 502.
     */
    static String refusal(String offered, String answered) {
        Set<String> switched = names(answered);
        if (switched.isEmpty()) {
            return "101 without the protocol it switches to";
        }
        Set<String> asked = names(offered);
        for (String p : switched) {
            if (!asked.contains(p)) {
                return "101 to a protocol the client did not offer (" + p + ")";
            }
        }
        return null;
    }

    /** The protocol names of an Upgrade list, lower case; none for null. */
    static Set<String> names(String list) {
        Set<String> names = new TreeSet<>();
        if (list == null) {
            return names;
        }
        for (String element : list.split(",")) {
            String e = element.strip();
            int slash = e.indexOf('/');
            String name = slash < 0 ? e : e.substring(0, slash);
            if (!name.isEmpty()) {
                names.add(name.toLowerCase(Locale.ROOT));
            }
        }
        return names;
    }
}
