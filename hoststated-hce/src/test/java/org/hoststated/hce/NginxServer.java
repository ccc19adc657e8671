package org.hoststated.hce;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * nginx answering {@code 200} on 0.0.0.0 (every 127.0.x.y), run as a child process from a temp
 * directory, for scale tests: a backend in its own process, fast enough for a thousand checks
 * in flight, whose pauses are not the test JVM's. {@link #start} returns null when nginx is not
 * installed (Debian package nginx-light).
 */
final class NginxServer implements AutoCloseable {
    private final Process process;
    private final int port;

    private NginxServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    static NginxServer start(Path dir) throws IOException, InterruptedException {
        Path bin = Path.of("/usr/sbin/nginx");
        if (!Files.isExecutable(bin)) {
            return null;
        }
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        String conf = "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log " + dir.resolve("error.log") + " warn;\nevents { worker_connections 8192; }\n"
                + "http {\n access_log off;\n client_body_temp_path " + dir.resolve("body") + ";\n"
                + " server { listen 0.0.0.0:" + port + " backlog=8192; location / { return 200 \"ok\\n\"; } }\n}\n";
        Path file = Files.writeString(dir.resolve("nginx.conf"), conf);
        Process p = new ProcessBuilder(bin.toString(), "-p", dir.toString(), "-c", file.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        NginxServer n = new NginxServer(p, port);
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < end && p.isAlive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return n;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        n.close();
        throw new IOException("nginx did not start: " + Files.readString(dir.resolve("nginx.out")));
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
