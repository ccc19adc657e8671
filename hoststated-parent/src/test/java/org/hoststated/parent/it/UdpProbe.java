package org.hoststated.parent.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * The UDP modes of {@link L3Probe}, run inside a test's network namespace: {@code udp} (echo
 * backends next to the TCP service the table checks) and {@code udppin} (a client that keeps
 * one source port, as a resolver, syslog or NTP client does).
 */
final class UdpProbe {
    /** A datagram's answer is waited for this long before the next one is sent. */
    private static final int STEP_MS = 100;

    private UdpProbe() {
    }

    /** {@code udp ADDR/PORT...}: a UDP echo of the address per argument, then {@link L3Probe#serve}. */
    static void serve(String[] args) throws IOException {
        for (int i = 1; i < args.length; i++) {
            String[] ap = args[i].split("/");
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ap[0]), Integer.parseInt(ap[1])));
            byte[] answer = ap[0].getBytes(StandardCharsets.US_ASCII);
            Thread t = new Thread(() -> echo(s, answer));
            t.setDaemon(true);
            t.start();
        }
        L3Probe.serve(args);
    }

    private static void echo(DatagramSocket s, byte[] answer) {
        byte[] buf = new byte[512];
        while (true) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                s.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
            } catch (IOException e) {
                // One lost datagram; the client sends the next one.
            }
        }
    }

    /** {@code udppin VIP PORT HOST}. */
    static void pin(String[] args) throws IOException, InterruptedException {
        InetSocketAddress vip = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        String wanted = args[3];
        DatagramSocket s = null;
        while (s == null) {
            s = new DatagramSocket();
            s.connect(vip);
            s.setSoTimeout(1000);
            if (!wanted.equals(ask(s))) {
                s.close();
                s = null;
            }
        }
        System.out.println(System.currentTimeMillis() + " " + wanted);
        s.setSoTimeout(STEP_MS);
        while (true) {
            long next = System.currentTimeMillis() + STEP_MS;
            String answer = ask(s);
            if (answer != null) {
                System.out.println(System.currentTimeMillis() + " " + answer);
            }
            Thread.sleep(Math.max(0, next - System.currentTimeMillis()));
        }
    }

    /** One datagram sent and its answer, or null when none came in time. */
    private static String ask(DatagramSocket s) {
        try {
            s.send(new DatagramPacket(new byte[] {'x'}, 1));
            byte[] buf = new byte[512];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            return new String(buf, 0, p.getLength(), StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            // ICMP port unreachable (a connected socket reports it): no answer this time.
            return null;
        }
    }
}
