package org.hoststated.pfe.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A stand-in for OpenBSD's {@code pfctl}, since pf cannot run here: a shell script in a
 * directory of its own that records each call's arguments, and the ruleset of {@code -f -}
 * behind {@code "  < "}, answers {@code -s info}, {@code -s Anchors} and {@code -s states -vv}
 * from files the test writes, and fails for a table named {@code fail}. Tests compare
 * {@link #takeCalls()} with the exact commands pfe would give the real one.
 */
public final class FakePfctl implements AutoCloseable {
    private final Path dir;

    public FakePfctl() throws IOException {
        dir = Files.createTempDirectory("l3-pfctl");
        anchors("");
        states("");
        Files.writeString(calls(), "");
        Path script = command();
        Files.writeString(script, """
                #!/bin/sh
                d=$(dirname "$0")
                echo "pfctl $*" >> "$d/calls"
                case "$*" in
                  "-s info") echo "Status: Enabled for 0 days" ;;
                  *"-s Anchors") cat "$d/anchors" ;;
                  *"-f -") sed 's/^/  < /' >> "$d/calls" ;;
                  "-s states -vv") cat "$d/states" ;;
                  "-k id -k "*) echo "killed 1 states" >&2 ;;
                  *"-t fail"*) echo "pfctl: Table does not exist" >&2; exit 1 ;;
                esac
                exit 0
                """);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    }

    /** A pf backend that runs this stand-in, keeping its rules at close or not. */
    public PfBackend backend(boolean keepRules) {
        return new PfBackend(CommandRunner.processes(10_000), List.of(command().toString()), keepRules);
    }

    /** What {@code -s states -vv} prints from now on. */
    public void states(String text) throws IOException {
        Files.writeString(dir.resolve("states"), text);
    }

    /** What {@code -s Anchors} prints from now on. */
    public void anchors(String text) throws IOException {
        Files.writeString(dir.resolve("anchors"), text);
    }

    /** The calls since the last take, one line each (rulesets fed in below theirs), then forgets them. */
    public String takeCalls() throws IOException {
        String s = Files.readString(calls());
        Files.writeString(calls(), "");
        return s;
    }

    private Path command() {
        return dir.resolve("pfctl");
    }

    private Path calls() {
        return dir.resolve("calls");
    }

    @Override
    public void close() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.delete(dir);
    }
}
