package org.hoststated.parent.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The UDP modes of {@link L3Probe}, run inside a test's network namespace: {@code udp} (echo
 * backends next to the TCP service the table checks) and {@code udppin} (a client that keeps
 * one source port, as a resolver, syslog or NTP client does), and {@code dnsflood} (a client
 * that sends many DNS queries and waits for no answer).
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

    /**
     * {@code dns ADDR/PORT...}: a DNS server on each address and port that answers every query
     * with a {@link #DNS_ANSWER}-byte answer (the query with QR set, padded), then
     * {@link L3Probe#serve}.
     */
    static void serveDns(String[] args) throws IOException {
        for (int i = 1; i < args.length; i++) {
            String[] ap = args[i].split("/");
            DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(ap[0]), Integer.parseInt(ap[1])));
            Thread t = new Thread(() -> answer(s));
            t.setDaemon(true);
            t.start();
        }
        L3Probe.serve(args);
    }

    /** The size of the DNS answers of {@code dns}: large, as EDNS answers are. */
    static final int DNS_ANSWER = 4000;

    private static void answer(DatagramSocket s) {
        byte[] buf = new byte[512];
        while (true) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                s.receive(p);
                if (p.getLength() < 12) {
                    continue;
                }
                // The question stays as it was; the relay takes the padding as the answer's rest.
                byte[] a = Arrays.copyOf(Arrays.copyOf(buf, p.getLength()), DNS_ANSWER);
                a[2] |= (byte) 0x80;
                s.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
            } catch (IOException e) {
                // One lost datagram; the client asks again.
            }
        }
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

    /**
     * {@code dnsflood ADDR PORT COUNT RATE}: COUNT A queries (each with its own id and name)
     * at RATE a second, from 8 sockets; prints {@code sent COUNT} when done.
     */
    static void flood(String[] args) throws IOException, InterruptedException {
        InetSocketAddress to = new InetSocketAddress(args[1], Integer.parseInt(args[2]));
        int count = Integer.parseInt(args[3]);
        double rate = Double.parseDouble(args[4]);
        DatagramSocket[] sockets = new DatagramSocket[8];
        for (int i = 0; i < sockets.length; i++) {
            sockets[i] = new DatagramSocket();
        }
        long start = System.nanoTime();
        for (int i = 0; i < count; i++) {
            byte[] q = query(i, "q" + i);
            sockets[i % sockets.length].send(new DatagramPacket(q, q.length, to));
            long due = start + (long) ((i + 1) * 1e9 / rate);
            long early = due - System.nanoTime();
            if (early > 1_000_000) {
                Thread.sleep(early / 1_000_000);
            }
        }
        System.out.println("sent " + count);
        for (DatagramSocket s : sockets) {
            s.close();
        }
    }

    /** A DNS query with id {@code id} for the A record of {@code label}.example. */
    private static byte[] query(int id, String label) {
        byte[] l = label.getBytes(StandardCharsets.US_ASCII);
        byte[] q = new byte[12 + 1 + l.length + 9 + 4];
        q[0] = (byte) (id >> 8);
        q[1] = (byte) id;
        q[2] = 0x01;
        q[5] = 1;
        q[12] = (byte) l.length;
        System.arraycopy(l, 0, q, 13, l.length);
        int at = 13 + l.length;
        q[at] = 7;
        System.arraycopy("example".getBytes(StandardCharsets.US_ASCII), 0, q, at + 1, 7);
        q[q.length - 3] = 1;
        q[q.length - 1] = 1;
        return q;
    }
}
