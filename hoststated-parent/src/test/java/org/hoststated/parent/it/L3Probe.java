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
 * <li>{@code chat ADDR/PORT...}: as {@code serve}, but a connection stays open and every line
 * the client sends is answered with the address; {@code down} closes the listening socket
 * only, so the open connections go on (a host whose checked service stopped).</li>
 * <li>{@code pin VIP PORT HOST}: connects until a connection lands on HOST, then sends a line
 * every 100 ms and prints {@code MILLIS ANSWER} per answer ({@code System.currentTimeMillis()});
 * a failed connection prints {@code MILLIS reset} and is replaced by a new one.</li>
 * <li>{@code udp ADDR/PORT...}: as {@code serve} (the TCP service the table checks), plus a
 * UDP socket on each address and port that answers every datagram with the address;
 * {@code down} closes the TCP listener only, so the UDP service goes on answering (a host whose
 * checked service stopped while its UDP flows still get answers).</li>
 * <li>{@code udppin VIP PORT HOST}: opens UDP sockets until one's datagram is answered by
 * HOST, then sends a datagram from that socket (one source port) every 100 ms and prints
 * {@code MILLIS ANSWER} per answer; the socket is connected to the virtual address, so an
 * answer from anywhere else is not taken.</li>
 * <li>{@code dns ADDR/PORT...}: as {@code serve}, plus a DNS server on each address and port
 * that answers every query with a 4,000-byte answer.</li>
 * <li>{@code dnsflood ADDR PORT COUNT RATE}: sends COUNT DNS queries at RATE a second and
 * prints {@code sent COUNT}; reads no answer.</li>
 * </ul>
 */
public final class L3Probe {
    private L3Probe() {
    }

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "serve", "chat" -> serve(args);
            case "pin" -> pin(args);
            case "udp" -> UdpProbe.serve(args);
            case "udppin" -> UdpProbe.pin(args);
            case "dns" -> UdpProbe.serveDns(args);
            case "dnsflood" -> UdpProbe.flood(args);
            default -> fetch(args);
        }
    }

    static void serve(String[] args) throws IOException {
        boolean chat = args[0].equals("chat");
        Map<String, ServerSocket> servers = new HashMap<>();
        Map<String, Integer> ports = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String[] ap = args[i].split("/");
            ports.put(ap[0], Integer.parseInt(ap[1]));
            servers.put(ap[0], open(ap[0], ports.get(ap[0]), chat));
        }
        System.out.println("ok");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        for (String line; (line = in.readLine()) != null;) {
            String[] w = line.trim().split(" ");
            if (w[0].equals("down") && servers.containsKey(w[1])) {
                servers.remove(w[1]).close();
            } else if (w[0].equals("up") && !servers.containsKey(w[1])) {
                servers.put(w[1], open(w[1], ports.get(w[1]), chat));
            }
            System.out.println("ok");
        }
    }

    private static ServerSocket open(String ip, int port, boolean chat) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(InetAddress.getByName(ip), port), 512);
        Thread t = new Thread(() -> {
            while (chat && !s.isClosed()) {
                try {
                    Socket c = s.accept();
                    Thread talk = new Thread(() -> chat(c, ip));
                    talk.setDaemon(true);
                    talk.start();
                } catch (IOException e) {
                    // Closed by "down".
                }
            }
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

    /** Answers every line of {@code c} with {@code ip} until the client goes. */
    private static void chat(Socket c, String ip) {
        try (c; BufferedReader in = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.US_ASCII))) {
            OutputStream out = c.getOutputStream();
            while (in.readLine() != null) {
                out.write((ip + "\n").getBytes(StandardCharsets.US_ASCII));
            }
        } catch (IOException e) {
            // The client left, or its flow was cut.
        }
    }

    private static void pin(String[] args) throws InterruptedException {
        InetSocketAddress vip = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        String wanted = args[3];
        Socket s = null;
        while (s == null) {
            s = connect(vip);
            if (s != null && !wanted.equals(ask(s))) {
                close(s);
                s = null;
            }
        }
        System.out.println(System.currentTimeMillis() + " " + wanted);
        while (true) {
            Thread.sleep(100);
            String answer = s == null ? null : ask(s);
            if (answer == null) {
                System.out.println(System.currentTimeMillis() + " reset");
                close(s);
                s = connect(vip);
            } else {
                System.out.println(System.currentTimeMillis() + " " + answer);
            }
        }
    }

    private static Socket connect(InetSocketAddress vip) {
        Socket s = new Socket();
        try {
            s.connect(vip, 1000);
            s.setSoTimeout(1000);
            return s;
        } catch (IOException e) {
            close(s);
            return null;
        }
    }

    /** One line sent and its answer, or null when the connection failed. */
    private static String ask(Socket s) {
        try {
            s.getOutputStream().write("x\n".getBytes(StandardCharsets.US_ASCII));
            StringBuilder b = new StringBuilder();
            InputStream in = s.getInputStream();
            for (int c; (c = in.read()) != '\n';) {
                if (c < 0) {
                    return null;
                }
                b.append((char) c);
            }
            return b.toString();
        } catch (IOException e) {
            return null;
        }
    }

    private static void close(Socket s) {
        try {
            if (s != null) {
                s.close();
            }
        } catch (IOException e) {
            // Nothing to do for a socket already broken.
        }
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
            // Generous: a CI machine shared with other work took over 2 s for one relayed answer.
            s.connect(vip, 3000);
            s.setSoTimeout(5000);
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            return "-";
        }
    }
}
