package org.hoststated.core;

/**
 * The version of this build, from the jar's manifest ({@code Implementation-Version}, which the
 * build writes): {@code hoststated -V} and the daemon's start line give it, so that an operator
 * can tell which build runs (the jar names were the only place it showed, probe AL).
 */
public final class BuildVersion {
    private BuildVersion() {
    }

    /** "0.1.0-SNAPSHOT", or "unknown" when the classes do not come from the built jar (an IDE). */
    public static String of() {
        String v = BuildVersion.class.getPackage().getImplementationVersion();
        return v == null || v.isEmpty() ? "unknown" : v;
    }
}
