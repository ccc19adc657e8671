package org.hoststated.parent.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A process that runs inside a test's network namespace (started with {@code ip netns exec}),
 * since a JVM's sockets live in the namespace it started in.
 *
 * <ul>
 * <li>{@code serve ADDR/PORT...}: backends that answer each connection with their address;
 * on standard input {@code down ADDR} closes one, {@code up ADDR} opens it again; each command
 * is acknowledged with {@code ok} once done.</li>
 * <li>{@code fetch VIP PORT COUNT [SOURCE...]}: COUNT connections from each source address
 * (or any), one answer per line ({@code -} for a failed connection).</li>
 * </ul>
 */
public final class L3Probe {
    private L3Probe() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("serve")) {
            serve(args);
        } else {
            fetch(args);
        }
    }

    private static void serve(String[] args) throws IOException {
        Map<String, ServerSocket> servers = new HashMap<>();
        Map<String, Integer> ports = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] ap = args[i].split("/");
            ports.put(ap[0], Integer.parseInt(ap[1]));
            servers.put(ap[0], open(ap[0], ports.get(ap[0])));
        }
        System.out.println("ok");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line; (line = in.readLine()) != null;) {
            String[] w = line.trim().split(" ");
            if (w[0].equals("down") && servers.containsKey(w[1])) {
                servers.remove(w[1]).close();
            } else if (w[0].equals("up") && !servers.containsKey(w[1])) {
                servers.put(w[1], open(w[1], ports.get(w[1])));
            }
            System.out.println("ok");
        }
    }

    private static ServerSocket open(String ip, int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 512);
        Thread t = new Thread(() -> {
            while (!s.isClosed()) {
                try (Socket c = s.accept(); OutputStream out = c.getOutputStream()) {
                    out.write((ip + "\n").getBytes(StandardCharsets.US_ASCII));
                } catch (IOException e) {
                    // Closed by "down", or a health check that went away.
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return s;
    }

    private static void fetch(String[] args) {
        InetSocketAddress vip = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        int count = Integer.parseInt(args[3]);
        String[] sources = args.length > 4 ? java.util.Arrays.copyOfRange(args, 4, args.length) : new String[] {null};
        StringBuilder out = new StringBuilder();
        for (String src : sources) {
            for (int i = 0; i < count; i++) {
                out.append(src == null ? "" : src + " ").append(one(vip, src)).append('\n');
            }
        }
        System.out.print(out);
    }

    private static String one(InetSocketAddress vip, String src) {
        try (Socket s = new Socket()) {
            if (src != null) {
                s.bind(new InetSocketAddress(InetAddress.getByName(src), 0));
            }
            s.connect(vip, 1000);
            s.setSoTimeout(2000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "-";
        }
    }
}
