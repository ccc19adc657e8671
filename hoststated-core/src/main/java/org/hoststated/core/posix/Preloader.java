package org.hoststated.core.posix;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.net.URLConnection;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.TimeZone;
import java.util.jar.JarFile;

import javax.crypto.Cipher;
import javax.net.ssl.SSLContext;

import org.slf4j.LoggerFactory;

/**
 * Loads, before chroot, everything a JVM would otherwise open by path later and fail to find
 * inside an empty chroot (JAVA-NOTES §4). Used by hce and relay between {@link
 * Privileges#lookupUser} and {@link Privileges#dropTo}.
 *
 * <p>What it covers: every jar on the class path, opened both by the class loader and in the
 * JDK's jar URL cache (measured: without the cache, getResourceAsStream returns null after
 * chroot; with it, it works); JDK NIO and its
 * libextnet (a first SocketChannel after chroot breaks sun.nio.ch for good); SecureRandom;
 * JCE policy files, the default SSLContext and cacerts; tzdb.dat; slf4j's provider lookup;
 * Netty's epoll library (it would otherwise be unpacked into the chroot's /tmp); our own libc
 * binding; the JDK's management library (the collectors' times); then the hooks callers registered. ServiceLoader still fails after chroot (it opens
 * its configuration files with caching off), so whatever uses it must be initialised here or in a
 * hook. Directories on the class path cannot be kept
 * open: classes there that were not loaded yet cannot be loaded after chroot, so production
 * runs from jars.
 *
 * <p>Idempotent: the built-in steps run once, each registered hook once. The state is static
 * because the work it records (loaded libraries, open jars) is per JVM.
 */
public final class Preloader {
    private static final List<Runnable> HOOKS = new ArrayList<>(); // guarded by Preloader.class
    private static int hooksRun;                                    // guarded by Preloader.class
    private static boolean builtinsDone;                            // guarded by Preloader.class
    private static final List<JarFile> OPEN_JARS = new ArrayList<>(); // kept open for the JVM's life

    private Preloader() {
    }

    /** Adds a step that the next {@link #preload()} runs, e.g. loading a protocol's classes. */
    public static synchronized void register(Runnable hook) {
        HOOKS.add(hook);
    }

    /**
     * Runs the built-in steps (first call only) and every hook not run yet.
     *
     * @throws IllegalStateException naming the step that failed; the engine cannot chroot then
     */
    public static synchronized void preload() {
        if (!builtinsDone) {
            step("libc binding", Native.LIBC::getuid);
            step("class path jars", Preloader::openClassPathJars);
            step("nio sockets", Preloader::openSockets);
            step("secure random", () -> new SecureRandom().nextBytes(new byte[16]));
            step("jce and tls", Preloader::initCrypto);
            step("time zones", () -> {
                ZoneId.systemDefault().getRules();
                ZoneId.of("UTC").getRules();
                TimeZone.getDefault();
            });
            step("slf4j", LoggerFactory::getILoggerFactory);
            step("netty epoll", Preloader::initNetty);
            // libmanagement: the stall watch reads the collectors' time (core.proc.LoopStallWatch)
            step("management", ManagementFactory::getGarbageCollectorMXBeans);
            builtinsDone = true;
        }
        while (hooksRun < HOOKS.size()) {
            Runnable hook = HOOKS.get(hooksRun++);
            step("hook " + hook, hook::run);
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void step(String name, Step step) {
        try {
            step.run();
        } catch (Exception | LinkageError e) {
            throw new IllegalStateException("preload " + name + ": " + e, e);
        }
    }

    /**
     * getResources makes the application class loader open every jar it has; a
     * JarURLConnection with caching on puts the same jars into the JDK's jar cache, which is what
     * getResourceAsStream reads through (it opens a "jar:file:...!/name" URL).
     */
    private static void openClassPathJars() throws IOException {
        ClassLoader loader = Preloader.class.getClassLoader();
        Enumeration<URL> manifests = loader.getResources("META-INF/MANIFEST.MF");
        while (manifests.hasMoreElements()) {
            cacheJar(manifests.nextElement());
        }
        for (String entry : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (entry.startsWith("/dev/fd/")) {
                // A jar the parent passed open (its own build's); the path it was opened by
                // may be gone, so it is not made canonical.
                cacheJar(new URL("jar:" + new File(entry).toURI() + "!/"));
            } else if (entry.endsWith(".jar")) {
                URI jar = new File(entry).getCanonicalFile().toURI();
                cacheJar(new URL("jar:" + jar + "!/"));
            }
        }
    }

    private static void cacheJar(URL url) throws IOException {
        URLConnection c = url.openConnection();
        if (c instanceof JarURLConnection jar) {
            jar.setUseCaches(true);
            OPEN_JARS.add(jar.getJarFile());
        }
    }

    private static void openSockets() throws IOException {
        SocketChannel.open().close();
        SocketChannel.open(java.net.StandardProtocolFamily.UNIX).close();
        ServerSocketChannel.open().close();
        DatagramChannel.open().close();
        // loads libextnet, which SO_PEERCRED and TCP keep-alive options need
        jdk.net.ExtendedSocketOptions.SO_PEERCRED.name();
    }

    private static void initCrypto() throws Exception {
        Cipher.getInstance("AES/GCM/NoPadding");
        CertificateFactory.getInstance("X.509");
        java.security.KeyFactory.getInstance("RSA");
        java.security.KeyFactory.getInstance("EC");
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, null, null);
        tls.createSSLEngine();
        SSLContext.getDefault();
    }

    private static void initNetty() {
        io.netty.channel.epoll.Epoll.ensureAvailability();
        // reads /proc/sys/net/core/somaxconn once, in its static initialiser
        if (io.netty.util.NetUtil.SOMAXCONN <= 0) {
            throw new IllegalStateException("somaxconn " + io.netty.util.NetUtil.SOMAXCONN);
        }
        io.netty.buffer.ByteBufAllocator.DEFAULT.buffer(1).release();
        io.netty.channel.DefaultChannelId.newInstance();
    }
}
