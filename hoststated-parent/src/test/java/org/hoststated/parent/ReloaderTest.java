package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.msg.Text;
import org.hoststated.core.msg.TlsKeyPair;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reload protocol between the parent and its three engines: answered only when all three
 * run the new generation, undone everywhere when one refuses it, late refusals of a replaced
 * generation ignored.
 */
class ReloaderTest {
    /** The reload tests hand a client straight to the reloader, not through the control server. */
    private static final ControlServer.Requests NO_REQUESTS = (c, m) -> { };

    @TempDir
    Path dir;
    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final List<Sent> sent = new ArrayList<>();
    private final List<ConfigSource.Loaded> applied = new ArrayList<>();
    private Path file;
    private Reloader reloader;
    private ConfigSource.Loaded first;

    private record Sent(ConfigSource.Loaded config, int generation) {
    }

    @BeforeEach
    void start() throws Exception {
        file = dir.resolve("hoststated.conf");
        write("one");
        ConfigSource source = new ConfigSource(file, Map.of());
        first = source.load().loaded();
        reloader = new Reloader(source, new ListenerSockets(), c -> { }, loop,
                (c, keys, gen) -> sent.add(new Sent(c, gen)), applied::add);
        reloader.started(first, Map.of());
    }

    @AfterEach
    void stop() {
        loop.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS);
    }

    private void write(String table) throws Exception {
        // A service, not a relay: no listening socket to bind in a unit test.
        Files.writeString(file, "l3 backend none\ntable " + table + " {\n  real port 80\n  check tcp\n  host 127.0.0.1\n}\n"
                + "service www {\n  virtual ip 127.0.0.1 port 80\n  table " + table + "\n}\n");
    }

    private void allReady(int gen) {
        allReady(gen, reloader);
    }

    private static void allReady(int gen, Reloader r) {
        for (ProcId p : new ProcId[] {ProcId.PFE, ProcId.HCE, ProcId.RELAY}) {
            r.engineReady(p, gen);
        }
    }

    /**
     * The answer the client has been sent, or null; the warnings before it (the test file's
     * "virtual ip", CTL_WARNING) are skipped: {@link #warningsAreSentBeforeTheAnswer}.
     */
    private static Imsg answer(EmbeddedChannel client) {
        Imsg m = client.readOutbound();
        while (m != null && m.type() == MessageType.CTL_WARNING) {
            m = client.readOutbound();
        }
        return m;
    }

    /** The file's warnings reach the client that asked for the reload before its answer (probe AA). */
    @Test
    void warningsAreSentBeforeTheAnswer() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloader.reload(new ControlClient(1, ch, NO_REQUESTS));
        Imsg first = ch.readOutbound();
        assertEquals(MessageType.CTL_WARNING, first.type());
        assertTrue(first.payload(Text.class).text().endsWith("'virtual ip' is obsolete, use 'virtual host'"),
                first.payload(Text.class).text());
        reloader.engineReady(ProcId.PFE, 2);
        reloader.engineReady(ProcId.HCE, 2);
        reloader.engineReady(ProcId.RELAY, 2);
        assertEquals(MessageType.CTL_OK, answer(ch).type());
    }

    @Test
    void aReloadIsAnsweredOnceAllThreeEnginesRunIt() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloader.reload(new ControlClient(1, ch, NO_REQUESTS));
        assertEquals(1, sent.size());
        assertEquals(2, sent.get(0).generation());
        reloader.engineReady(ProcId.PFE, 2);
        reloader.engineReady(ProcId.HCE, 2);
        assertNull(answer(ch));
        reloader.engineReady(ProcId.RELAY, 2);
        assertEquals(MessageType.CTL_OK, answer(ch).type());
        assertEquals(2, reloader.generation());
        assertEquals(List.of(sent.get(0).config()), applied);
    }

    @Test
    void anEngineThatRefusesMakesAllGoBackToThePreviousConfiguration() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloader.reload(new ControlClient(1, ch, NO_REQUESTS));
        reloader.engineReady(ProcId.PFE, 2);
        reloader.engineError(ProcId.RELAY, 2, "relay www: ssl: bad key");
        assertEquals(2, sent.size());
        assertSame(first, sent.get(1).config());
        assertEquals(3, sent.get(1).generation());
        assertNull(answer(ch));
        allReady(3);
        Imsg a = answer(ch);
        assertEquals(MessageType.CTL_FAIL, a.type());
        assertEquals("relay: relay www: ssl: bad key; the previous configuration was kept", a.payload(Text.class).text());
        assertEquals(List.of(first), applied);
    }

    /**
     * A reload that an engine refused changes nothing the operator did: going back is a new
     * generation, in which the configuration's {@code disable} keywords apply afresh, so a table
     * the configuration starts disabled and the operator enabled was disabled again although
     * the reload failed. pfe gets, after the going back, what the operator had changed before
     * the reload, stamped with the going back's generation (whose enables it then applies).
     */
    @Test
    void goingBackGivesPfeBackWhatTheOperatorChangedBeforeTheReload() throws Exception {
        List<String> restored = new ArrayList<>();
        String[] reported = {"enabled\ttable\tone\n"};
        Reloader.Target target = new Reloader.Target() {
            @Override
            public void reconfigure(ConfigSource.Loaded c, Map<Integer, TlsKeyPair> keys, int gen) {
                sent.add(new Sent(c, gen));
                // pfe reports the new generation's own state once it runs it: the enable is gone.
                reported[0] = "";
            }

            @Override
            public org.hoststated.core.msg.ConfChunk operatorChanges() {
                return new org.hoststated.core.msg.ConfChunk(1, reported[0]);
            }

            @Override
            public void restore(org.hoststated.core.msg.ConfChunk changes, int gen) {
                restored.add(changes.generation() + ":" + gen + ":" + changes.text());
            }
        };
        Reloader r = new Reloader(new ConfigSource(file, Map.of()), new ListenerSockets(), c -> { }, loop, target,
                applied::add);
        r.started(first, Map.of());
        write("two");
        r.reload(null);
        assertEquals(List.of(), restored, "a reload applies the configuration's disable keywords afresh");
        r.engineError(ProcId.RELAY, 2, "relay www: ssl: bad key");
        assertEquals(3, sent.get(1).generation());
        assertEquals(List.of("1:3:enabled\ttable\tone\n"), restored);
    }

    /**
     * Control commands wait for a pending reload, through a newer one and a going back, until
     * all three engines run one configuration: pfe's notices carry its generation, which hce
     * and the relay engine drop while they do not run it yet.
     */
    @Test
    void whatWaitsForTheEnginesRunsOnceTheyAllRunOneConfiguration() throws Exception {
        List<String> ran = new ArrayList<>();
        reloader.whenSettled(() -> ran.add("idle"));
        assertEquals(List.of("idle"), ran);
        write("two");
        reloader.reload(null);
        reloader.whenSettled(() -> ran.add("during 2"));
        write("three");
        reloader.reload(null);
        reloader.whenSettled(() -> ran.add("during 3"));
        allReady(2);
        assertEquals(List.of("idle"), ran, "generation 2 was replaced by 3");
        reloader.engineReady(ProcId.PFE, 3);
        reloader.engineError(ProcId.RELAY, 3, "relay www: ssl: bad key");
        assertEquals(List.of("idle"), ran, "going back to 1 as generation 4");
        allReady(4);
        assertEquals(List.of("idle", "during 2", "during 3"), ran);
    }

    /**
     * A reload whose listener cannot be bound, after its claim on the machine was taken: the
     * claim goes back to what the running configuration needs (the nftables lock stayed).
     */
    @Test
    void aListenerThatCannotBeBoundGivesBackWhatTheReloadClaimed() throws Exception {
        List<String> calls = new ArrayList<>();
        Reloader.Claim claim = new Reloader.Claim() {
            @Override
            public void claim(org.hoststated.core.config.Config config) {
                calls.add("claim");
            }

            @Override
            public void keep(org.hoststated.core.config.Config running) {
                calls.add(running == first.config() ? "keep the first" : "keep another");
            }
        };
        io.netty.channel.epoll.Epoll.ensureAvailability(); // ListenerSockets binds through Netty's native socket
        ConfigSource source = new ConfigSource(file, Map.of());
        Reloader r = new Reloader(source, new ListenerSockets(), claim, loop, (c, keys, gen) -> { }, c -> { });
        r.started(first, Map.of());
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Files.writeString(file, "l3 backend none\nrelay r {\n  listen on 127.0.0.1 port " + taken.getLocalPort()
                    + "\n  forward to 127.0.0.1 port 80\n}\n");
            EmbeddedChannel ch = new EmbeddedChannel();
            r.reload(new ControlClient(1, ch, NO_REQUESTS));
            assertEquals(MessageType.CTL_FAIL, answer(ch).type());
        }
        assertEquals(List.of("claim", "keep the first"), calls);
    }

    /** A reloader whose readings of the file wait in {@code readings} until the test runs them. */
    private Reloader readingIn(java.util.Queue<Runnable> readings) {
        Reloader r = new Reloader(new ConfigSource(file, Map.of()), new ListenerSockets(), c -> { }, loop,
                (c, keys, gen) -> sent.add(new Sent(c, gen)), applied::add, Reloader.TIMEOUT_MS, readings::add, Runnable::run);
        r.started(first, Map.of());
        return r;
    }

    /**
     * The file is read off the loop (its DNS names may take minutes), one reading at a time:
     * reloads asked for meanwhile make one more reading once it is done, of the file as it is
     * then, and every requester hears how the last generation ends.
     */
    @Test
    void reloadsDuringAReadingMakeOneMoreReadingAfterIt() throws Exception {
        java.util.ArrayDeque<Runnable> readings = new java.util.ArrayDeque<>();
        Reloader r = readingIn(readings);
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        write("two");
        r.reload(new ControlClient(1, a, NO_REQUESTS));
        r.reload(new ControlClient(2, b, NO_REQUESTS));
        r.reload(null);
        assertEquals(1, readings.size(), "one reading at a time");
        assertEquals(List.of(), sent, "nothing is sent before the file was read");
        write("three");
        readings.poll().run();
        assertEquals(2, sent.get(0).generation());
        assertEquals(1, readings.size(), "the reloads asked for meanwhile read the file again");
        readings.poll().run();
        assertEquals(3, sent.get(1).generation());
        assertEquals("three", sent.get(1).config().config().tables().get(0).name());
        assertEquals(0, readings.size());
        allReady(3, r);
        assertEquals(MessageType.CTL_OK, answer(a).type());
        assertEquals(MessageType.CTL_OK, answer(b).type());
    }

    /**
     * An enable or disable asked for while the file is being read (its names resolved, which
     * can take seconds) names the objects of the configuration the reload leaves in force, as
     * hoststatectl.8 says: it waits for the reading, then for the engines; after a file that is
     * refused it runs at once, against the running one (probe E: it named the old host 0).
     */
    @Test
    void whatWaitsForTheEnginesWaitsForTheReadingToo() throws Exception {
        java.util.ArrayDeque<Runnable> readings = new java.util.ArrayDeque<>();
        Reloader r = readingIn(readings);
        List<String> ran = new ArrayList<>();
        write("two");
        r.reload(null);
        r.whenSettled(() -> ran.add("while reading"));
        assertEquals(List.of(), ran);
        readings.poll().run();
        assertEquals(List.of(), ran, "sent: it waits for the engines");
        allReady(2, r);
        assertEquals(List.of("while reading"), ran);

        Files.writeString(file, "table {");
        r.reload(null);
        r.whenSettled(() -> ran.add("while reading a bad file"));
        readings.poll().run();
        assertEquals(List.of("while reading", "while reading a bad file"), ran);
    }

    /** A reading that ends after SIGTERM sends nothing: its requester hears why. */
    @Test
    void aReadingThatEndsAfterTheStopSendsNothing() throws Exception {
        java.util.ArrayDeque<Runnable> readings = new java.util.ArrayDeque<>();
        Reloader r = readingIn(readings);
        EmbeddedChannel a = new EmbeddedChannel();
        write("two");
        r.reload(new ControlClient(1, a, NO_REQUESTS));
        r.stop();
        readings.poll().run();
        assertEquals(List.of(), sent);
        Imsg got = answer(a);
        assertEquals(MessageType.CTL_FAIL, got.type());
        assertEquals("the daemon is stopping", got.payload(Text.class).text());
    }

    @Test
    void aRefusalOfAReplacedGenerationIsIgnored() throws Exception {
        EmbeddedChannel a = new EmbeddedChannel();
        EmbeddedChannel b = new EmbeddedChannel();
        write("two");
        reloader.reload(new ControlClient(1, a, NO_REQUESTS));
        write("three");
        reloader.reload(new ControlClient(2, b, NO_REQUESTS));
        reloader.engineError(ProcId.HCE, 2, "late");
        assertEquals(2, sent.size(), "a refusal of generation 2 must not undo generation 3");
        allReady(3);
        assertEquals(MessageType.CTL_OK, answer(a).type());
        assertEquals(MessageType.CTL_OK, answer(b).type());
    }

    /**
     * An engine that refuses a generation after the reload was given up at its limit (a loaded
     * machine, an engine busy building TLS contexts): the other two run it, and the refusing
     * engine the one before. Only logged, that lasted until the next reload, while {@code show
     * summary} (pfe's) showed the new configuration. All go back, as for a refusal in time.
     */
    @Test
    void aRefusalAfterTheLimitStillMakesAllGoBack() throws Exception {
        Reloader r = startedWithOneSecondLimit();
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloadConfirmedByAllBut(r, ch, ProcId.RELAY);
        Imsg given = awaitAnswer(ch);
        assertEquals(MessageType.CTL_FAIL, given.type());
        assertEquals("relay did not confirm configuration 2 within " + (1) + " s; it stays in force unless it refuses it",
                given.payload(Text.class).text());
        onLoop(() -> r.engineError(ProcId.RELAY, 2, "relay www: ssl: bad key"));
        assertEquals(2, sent.size(), "no going back after a refusal past the limit");
        assertSame(first, sent.get(1).config());
        assertEquals(3, sent.get(1).generation());
        onLoop(() -> {
            r.engineReady(ProcId.PFE, 3);
            r.engineReady(ProcId.HCE, 3);
            r.engineReady(ProcId.RELAY, 3);
        });
        assertEquals(List.of(sent.get(0).config(), first), applied);
        assertEquals(3, r.generation());
    }

    private void onLoop(Runnable task) throws Exception {
        loop.submit(task).get();
    }

    /** Reloads {@code r} for {@code ch}; every engine but {@code late} confirms generation 2. */
    private void reloadConfirmedByAllBut(Reloader r, EmbeddedChannel ch, ProcId late) throws Exception {
        onLoop(() -> {
            r.reload(new ControlClient(1, ch, NO_REQUESTS));
            for (ProcId p : new ProcId[] {ProcId.PFE, ProcId.HCE, ProcId.RELAY}) {
                if (p != late) {
                    r.engineReady(p, 2);
                }
            }
        });
    }

    /** A reloader running {@link #first} that gives the engines 1 s to confirm, not 15. */
    private Reloader startedWithOneSecondLimit() throws Exception {
        Reloader r = new Reloader(new ConfigSource(file, Map.of()), new ListenerSockets(), c -> { }, loop,
                (c, keys, gen) -> sent.add(new Sent(c, gen)), applied::add, 1000);
        r.started(first, Map.of());
        return r;
    }

    /**
     * An engine killed and restarted while a reload waits for it (the watchdog kills a stopped
     * one after 10 s): the reload waits for the successor afresh, which runs the pending
     * configuration. It was answered as failed at its limit though the configuration ran.
     */
    @Test
    void aReloadWaitsAfreshForTheSuccessorOfAnEngineThatWasRestarted() throws Exception {
        Reloader r = startedWithOneSecondLimit();
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloadConfirmedByAllBut(r, ch, ProcId.HCE);
        Thread.sleep(700);
        onLoop(() -> r.engineRestarted(ProcId.HCE));
        Thread.sleep(800); // past the first limit
        assertNull(loop.submit(() -> answer(ch)).get(), "answered before the successor could confirm");
        onLoop(() -> r.engineReady(ProcId.HCE, 2));
        assertEquals(MessageType.CTL_OK, awaitAnswer(ch).type());
        assertEquals(2, r.generation());
    }

    /** The reloader's answer to {@code ch}, once its limit has passed (at most a minute). */
    private Imsg awaitAnswer(EmbeddedChannel ch) throws Exception {
        Imsg given = null;
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (given == null && System.nanoTime() < deadline) {
            given = loop.submit(() -> answer(ch)).get();
            Thread.sleep(20);
        }
        return given;
    }

    /**
     * A reload an engine does not confirm in time is in force all the same: the parent closes
     * the listening socket of a relay it removed. Kept, the port went on accepting connections
     * that no engine served, until the next reload (once seen with hce stopped for the 15 s;
     * a stopped engine is killed sooner now, so a busy one is what leaves a reload unconfirmed).
     */
    @Test
    void aReloadNotConfirmedInTimeClosesTheSocketOfARelayItRemoved() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        String relay = "relay gone {\n  listen on 127.0.0.1 port " + port + "\n  forward to 127.0.0.1 port 9\n}\n";
        write("one");
        Files.writeString(file, Files.readString(file) + relay);
        ListenerSockets listeners = new ListenerSockets();
        ConfigSource source = new ConfigSource(file, Map.of());
        ConfigSource.Loaded withRelay = source.load().loaded();
        listeners.bindAll(withRelay.config());
        Reloader r = new Reloader(source, listeners, c -> { }, loop, (c, keys, gen) -> sent.add(new Sent(c, gen)),
                applied::add, 1000);
        r.started(withRelay, Map.of());
        InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
        try (Socket listens = new Socket()) {
            listens.connect(at, 1000);
        }
        write("two");
        EmbeddedChannel ch = new EmbeddedChannel();
        reloadConfirmedByAllBut(r, ch, ProcId.HCE);
        Imsg given = awaitAnswer(ch);
        assertEquals("hce did not confirm configuration 2 within 1 s; it stays in force unless it refuses it",
                given.payload(Text.class).text());
        try (Socket s = new Socket()) {
            s.connect(at, 1000);
            throw new AssertionError("relay gone's port still accepts");
        } catch (ConnectException expected) {
            // refused: nothing listens there any more
        } finally {
            listeners.closeAll();
        }
    }

    @Test
    void whenGoingBackFailsTooBothReasonsAreGiven() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        write("two");
        reloader.reload(new ControlClient(1, ch, NO_REQUESTS));
        reloader.engineError(ProcId.PFE, 2, "nft: rejected");
        reloader.engineError(ProcId.PFE, 3, "nft: rejected again");
        Imsg a = answer(ch);
        assertEquals(MessageType.CTL_FAIL, a.type());
        assertEquals("pfe: nft: rejected; going back failed too: pfe: nft: rejected again",
                a.payload(Text.class).text());
    }

    /**
     * The relay engine refused the new key files (a key type it cannot serve): going back sends
     * the key pairs the running configuration was started with, not the files again, which
     * still hold what was refused. Otherwise the relay refused the going back as well and, at its
     * next restart, the configuration it was sent: no relay served at all.
     */
    @Test
    void goingBackSendsTheKeyPairsTheRunningConfigurationHad() throws Exception {
        io.netty.channel.epoll.Epoll.ensureAvailability(); // ListenerSockets binds through Netty's native socket
        System.setProperty(KeyPairs.SSL_DIR_PROPERTY, dir.toString());
        ListenerSockets sockets = new ListenerSockets();
        try {
            int port;
            try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = free.getLocalPort();
            }
            Files.writeString(file, "l3 backend none\nrelay tls {\n  listen on 127.0.0.1 port " + port
                    + " ssl\n  forward to 127.0.0.1 port 80\n}\n");
            writeKeyPair("/CN=running");
            ConfigSource source = new ConfigSource(file, Map.of());
            ConfigSource.Loaded running = source.load().loaded();
            Map<Integer, TlsKeyPair> runningKeys = KeyPairs.read(running.config(), 1);
            List<Map<Integer, TlsKeyPair>> keysSent = new ArrayList<>();
            Reloader r = new Reloader(source, sockets, c -> { }, loop, (c, keys, gen) -> keysSent.add(keys), c -> { });
            r.started(running, runningKeys);
            writeKeyPair("/CN=refused");
            r.reload(new ControlClient(1, new EmbeddedChannel(), NO_REQUESTS));
            r.engineError(ProcId.RELAY, 2, "relay tls: ssl: PrivateKey type not supported PKCS#8");
            assertEquals(2, keysSent.size());
            TlsKeyPair before = runningKeys.values().iterator().next();
            TlsKeyPair back = keysSent.get(1).values().iterator().next();
            assertEquals(3, back.generation());
            assertEquals(before.relayId(), back.relayId());
            assertArrayEquals(before.certificatePem(), back.certificatePem());
            assertArrayEquals(before.keyPem(), back.keyPem());
            assertFalse(Arrays.equals(before.certificatePem(),
                    keysSent.get(0).values().iterator().next().certificatePem()), "the reload sent the new files");
        } finally {
            sockets.closeAll();
            System.clearProperty(KeyPairs.SSL_DIR_PROPERTY);
        }
    }

    /** A new self-signed certificate and key for 127.0.0.1 in the test's key directory. */
    private void writeKeyPair(String subject) throws Exception {
        Files.createDirectories(dir.resolve("private"));
        KeyPairsTest.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days",
                "1", "-subj", subject, "-keyout", dir.resolve("private/127.0.0.1.key").toString(),
                "-out", dir.resolve("127.0.0.1.crt").toString());
    }

    @Test
    void aConfigurationWithErrorsChangesNothing() throws Exception {
        EmbeddedChannel ch = new EmbeddedChannel();
        Files.writeString(file, "table {\n");
        reloader.reload(new ControlClient(1, ch, NO_REQUESTS));
        assertEquals(MessageType.CTL_FAIL, answer(ch).type());
        assertEquals(0, sent.size());
        assertEquals(1, reloader.generation());
    }
}
