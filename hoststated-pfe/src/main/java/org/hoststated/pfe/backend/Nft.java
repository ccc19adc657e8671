package org.hoststated.pfe.backend;

import java.util.ArrayList;
import java.util.List;

/**
 * A way to hand nftables a script of commands, run as one transaction: libnftables in this
 * process ({@link NftLibrary}, no fork per change) or the {@code nft} program. Called on the
 * backend's writer thread only.
 */
public interface Nft {
    /** Runs {@code script} as {@code nft -f -} would; the result carries nft's output and errors. */
    CommandRunner.Result run(String script) throws L3Exception;

    /** libnftables when it can be loaded, else the {@code nft} program found on the PATH. */
    static Nft system(CommandRunner runner) {
        Nft lib = NftLibrary.load();
        return lib != null ? lib : program(runner, List.of("nft"));
    }

    /**
     * The nft program through {@code command}, e.g. {@code [nft]} or, in tests,
     * {@code [ip, netns, exec, NAME, nft]}.
     */
    static Nft program(CommandRunner runner, List<String> command) {
        List<String> argv = new ArrayList<>(command);
        argv.addAll(List.of("-f", "-"));
        List<String> fixed = List.copyOf(argv);
        return script -> runner.run(fixed, script);
    }
}
