import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Tiny HTTP backends for the demo, run with the JDK alone: java demo/DemoBackends.java
 * 127.0.0.11:8081 127.0.0.12:8081 ... Each answers every request with its own address, so
 * that a client sees which backend the relay chose.
 */
public final class DemoBackends {
    public static void main(String[] args) throws Exception {
        for (String a : args) {
            String[] hp = a.split(":");
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(hp[0]), Integer.parseInt(hp[1])), 128);
            Thread t = new Thread(() -> serve(s, a), "backend " + a);
            t.start();
            System.out.println("demo backend listening on " + a);
        }
    }

    private static void serve(ServerSocket server, String name) {
        while (true) {
            try {
                Socket c = server.accept();
                new Thread(() -> answer(c, name)).start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private static void answer(Socket c, String name) {
        try (c; InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
            c.setSoTimeout(5000);
            byte[] buf = new byte[8192];
            int n = 0;
            int r;
            while ((r = in.read(buf, n, buf.length - n)) > 0) {
                n += r;
                String head = new String(buf, 0, n, StandardCharsets.ISO_8859_1);
                if (head.contains("\r\n\r\n") || n == buf.length) {
                    break;
                }
            }
            if (n == 0) {
                return; // a health check that only connects
            }
            String body = "hello from backend " + name + "\n";
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + body.length()
                    + "\r\nConnection: close\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // The client went away (a health check's reset): nothing to answer.
        }
    }
}
