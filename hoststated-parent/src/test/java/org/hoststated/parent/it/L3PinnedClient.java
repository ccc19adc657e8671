package org.hoststated.parent.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A client pinned to one host: a {@code pin} (TCP) or {@code udppin} {@link L3Probe} in the
 * client's namespace, and the answers it printed, each with its time. A thread of its own reads
 * them as they come, so a test can wait for an answer while the probe goes on sending.
 */
final class L3PinnedClient implements AutoCloseable {
    /** {@code MILLIS ANSWER}, split: the time ({@code System.currentTimeMillis()}) and the answer. */
    final List<String[]> answers = new CopyOnWriteArrayList<>();
    private final Process process;

    /** Starts {@code L3Probe MODE VIP PORT HOST}. */
    L3PinnedClient(String mode, String vip, int port, String host) throws IOException {
        process = L3Netns.probe(L3Netns.CLI, mode, vip, Integer.toString(port), host);
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII));
        Thread t = new Thread(() -> {
            try {
                for (String line; (line = out.readLine()) != null;) {
                    answers.add(line.split(" "));
                }
            } catch (IOException e) {
                // The probe was stopped.
            }
        });
        t.setDaemon(true);
        t.start();
    }

    /** The first answer at or after {@code since} (ms) that is {@code what}, or -1. */
    long first(String what, long since) {
        for (String[] a : answers) {
            if (Long.parseLong(a[0]) >= since && a[1].equals(what)) {
                return Long.parseLong(a[0]);
            }
        }
        return -1;
    }

    long count(String what, long since) {
        return answers.stream().filter(a -> Long.parseLong(a[0]) >= since && a[1].equals(what)).count();
    }

    @Override
    public void close() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }
}
