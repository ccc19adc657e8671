package org.hoststated.pfe.backend;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs a kernel tool ({@code nft}, {@code pfctl}) with some standard input and returns what it
 * said. Called only on an L3 backend's writer thread, never on pfe's event loop.
 */
public interface CommandRunner {
    /** What a command printed and how it ended. */
    record Result(int status, String stdout, String stderr) {
        public boolean ok() {
            return status == 0;
        }

        /** The first line of stderr, for a log line. */
        public String why() {
            String s = stderr.strip();
            int nl = s.indexOf('\n');
            return s.isEmpty() ? "exit status " + status : nl < 0 ? s : s.substring(0, nl);
        }
    }

    /**
     * Runs {@code argv} with {@code stdin}.
     *
     * @throws L3Exception when the command cannot be started or does not finish in time
     */
    Result run(List<String> argv, String stdin) throws L3Exception;

    /** Runs real processes, killing one that takes longer than {@code timeoutMs}. */
    static CommandRunner processes(long timeoutMs) {
        return (argv, stdin) -> {
            Process p;
            try {
                p = new ProcessBuilder(argv).start();
            } catch (IOException e) {
                throw new L3Exception("cannot run " + argv.get(0) + ": " + e.getMessage());
            }
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
            try (OutputStream in = p.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The tool exited without reading its input; its status and stderr say why.
            }
            try {
                if (!p.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
                    p.destroyForcibly();
                    // Under the engines' seccomp filter (pfe with nftables) the kill is refused,
                    // and the program is left to end on its own.
                    boolean killed = p.waitFor(100, TimeUnit.MILLISECONDS);
                    throw new L3Exception(argv.get(0) + " did not finish within " + timeoutMs + " ms"
                            + (killed ? "" : " (left running: pfe may not kill it)"));
                }
                return new Result(p.exitValue(), out.get(timeoutMs, TimeUnit.MILLISECONDS),
                        err.get(timeoutMs, TimeUnit.MILLISECONDS));
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new L3Exception(argv.get(0) + " interrupted");
            } catch (ExecutionException | TimeoutException e) {
                throw new L3Exception(argv.get(0) + ": cannot read its output: " + e.getMessage());
            }
        };
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }
}
