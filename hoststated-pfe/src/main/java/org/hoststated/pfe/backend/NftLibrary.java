package org.hoststated.pfe.backend;

import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libnftables (the library behind the nft program, {@code libnftables.so.1}) bound with
 * jnr-ffi: a change costs one netlink transaction instead of a fork, an exec and nft's start-up,
 * which under load is most of the delay from a state change to the kernel rule. One context,
 * used by the backend's writer thread only (libnftables contexts are not thread-safe).
 */
final class NftLibrary implements Nft {
    private static final Logger log = LoggerFactory.getLogger(NftLibrary.class);

    /** The part of libnftables.h used here. */
    public interface Lib {
        Pointer nft_ctx_new(int flags);

        int nft_ctx_buffer_output(Pointer ctx);

        int nft_ctx_buffer_error(Pointer ctx);

        String nft_ctx_get_output_buffer(Pointer ctx);

        String nft_ctx_get_error_buffer(Pointer ctx);

        int nft_run_cmd_from_buffer(Pointer ctx, String buf);

        void nft_ctx_set_dry_run(Pointer ctx, boolean dry);
    }

    private final Lib lib;
    private final Pointer ctx;

    private NftLibrary(Lib lib, Pointer ctx) {
        this.lib = lib;
        this.ctx = ctx;
    }

    /** The library, or null (with a debug line) when it cannot be loaded here. */
    static NftLibrary load() {
        try {
            // Only the versioned name exists without the -dev package.
            Lib lib = LibraryLoader.create(Lib.class).failImmediately().load("libnftables.so.1");
            Pointer ctx = lib.nft_ctx_new(0);
            if (ctx == null || lib.nft_ctx_buffer_output(ctx) != 0 || lib.nft_ctx_buffer_error(ctx) != 0) {
                log.debug("libnftables: cannot create a context; using the nft program");
                return null;
            }
            return new NftLibrary(lib, ctx);
        } catch (LinkageError | RuntimeException e) {
            // The loader's message spans lines (its search paths): the first says why.
            String why = String.valueOf(e.getMessage());
            log.debug("libnftables not available ({}); using the nft program", why.lines().findFirst().orElse(why));
            return null;
        }
    }

    /** With {@code dry}, scripts are checked against the kernel and not committed (nft -c). */
    void dryRun(boolean dry) {
        lib.nft_ctx_set_dry_run(ctx, dry);
    }

    @Override
    public synchronized CommandRunner.Result run(String script) {
        int status = lib.nft_run_cmd_from_buffer(ctx, script);
        // Reading a buffer also resets it for the next command.
        String out = lib.nft_ctx_get_output_buffer(ctx);
        String err = lib.nft_ctx_get_error_buffer(ctx);
        return new CommandRunner.Result(status == 0 ? 0 : 1, out == null ? "" : out, err == null ? "" : err);
    }
}
