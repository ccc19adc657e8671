package org.hoststated.core.proc;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.nio.ByteBuffer;
import org.hoststated.core.imsg.ImsgChannel;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.msg.MalformedMessageException;
import org.hoststated.core.msg.ProcId;
import org.hoststated.core.posix.FdPassing;
import org.hoststated.core.posix.Fds;
import org.hoststated.core.posix.Preloader;
import org.hoststated.core.posix.Privileges;
import org.hoststated.core.posix.Seccomp;
import org.hoststated.core.posix.SignalHandlers;
import org.hoststated.core.posix.SocketPair;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The main loop every child engine runs, in relayd's order: set up logging, preload what a
 * chroot would hide (chrooted engines only), take privileged resources, chroot and drop
 * privileges, then serve the channels on one event loop until the parent's channel closes.
 */
public final class EngineMain {
    private static final Logger log = LoggerFactory.getLogger(EngineMain.class);
    private static EventLoopGroup group;

    private EngineMain() {
    }

    /** Runs {@code engine} in this process; does not return. */
    public static void run(Engine engine) {
        ChannelIdSeed.install();
        EngineSettings s = EngineSettings.fromEnvironment(System.getenv());
        LogConfig.init("hoststated", engine.id().title(), s.stderr(), s.verbose());
        // HUP and USR1 are the parent's, as relayd's children ignore them: "pkill -HUP
        // hoststated" reaches every process of the daemon, and the JVM's default ends one.
        SignalHandlers.ignore("HUP");
        SignalHandlers.ignore("USR1");
        try {
            if (engine.dropsPrivileges() && s.user() != null) {
                // Only a chrooted engine needs everything opened beforehand; pfe as root starts faster without.
                Preloader.preload();
            }
            engine.acquirePrivileged();
            if (engine.dropsPrivileges() && s.user() != null) {
                Privileges.Passwd pw = Privileges.lookupUser(s.user());
                if (pw == null) {
                    fatal(engine, "unknown user " + s.user());
                }
                // pfe with nftables keeps CAP_NET_ADMIN; it is confined by the filter too, or
                // it could signal the other engines, and another daemon's pfe could stop it
                // (probe CE). An nft it runs that hangs can then not be killed: it is left.
                Privileges.dropTo(pw, s.chroot(), s.netAdmin() ? Privileges.CAP_NET_ADMIN : -1);
                confine(engine);
            }
            group = new MultiThreadIoEventLoopGroup(1,
                    new DefaultThreadFactory(engine.id().title() + "-loop"), EpollLoops.newFactory());
            EventLoop loop = group.next();
            LoopStallWatch.watch("event loop", loop);
            SocketPair.setNonBlocking(EngineSettings.PARENT_FD);
            // Register and attach in one task on the loop: the channel cannot deliver a message
            // before the engine knows its loop and parent channel.
            loop.submit(() -> {
                ImsgChannel parent = ImsgChannel.open(EngineSettings.PARENT_FD, engine.id(), ProcId.PARENT, loop,
                        engine.parentHandler());
                engine.attach(loop, parent);
                engine.started();
                return null;
            }).syncUninterruptibly();
            startFdReader(engine, loop);
            log.debug("started");
        } catch (Exception | LinkageError e) {
            fatal(engine, "start-up failed: " + e);
        }
    }

    /** Reads descriptors passed by the parent on its own thread: recvmsg blocks. */
    private static void startFdReader(Engine engine, EventLoop loop) {
        Thread t = new Thread(() -> {
            while (true) {
                FdPassing.Received r;
                try {
                    r = FdPassing.receive(EngineSettings.FD_CHANNEL_FD, FdTag.SIZE);
                } catch (java.io.IOException e) {
                    log.error("fd channel: {}", e.getMessage());
                    return;
                }
                if (r.eof()) {
                    return;
                }
                FdTag tag;
                try {
                    tag = FdTag.decode(r.tag());
                } catch (MalformedMessageException e) {
                    log.error("fd channel: {}", e.getMessage());
                    if (r.fd() >= 0) {
                        Fds.close(r.fd());
                    }
                    continue;
                }
                if (r.fd() < 0 && !r.lost()) {
                    log.error("fd channel: tag without a descriptor");
                    continue;
                }
                try {
                    loop.execute(r.lost() ? () -> engine.fdLost(tag) : () -> engine.fdReceived(tag, r.fd()));
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    // The engine is stopping: its loop takes nothing more.
                    if (r.fd() >= 0) {
                        Fds.close(r.fd());
                    }
                    return;
                }
            }
        }, engine.id().title() + "-fds");
        t.setDaemon(true);
        t.start();
    }

    static void exit(Engine engine, int status) {
        try {
            engine.shutdown();
        } catch (RuntimeException e) {
            log.warn("shutdown: {}", e.getMessage());
        }
        ThrottledCount.flushPending();
        LogConfig.flush();
        // Runtime.halt: the event loop thread calls this, and a normal exit would wait on it.
        Runtime.getRuntime().halt(status);
    }

    /**
     * Installs the engines' seccomp filter ({@link Seccomp}): an engine taken over cannot
     * ptrace the check scripts, which run as its user outside the chroot, nor signal the other
     * engine. Warned of, not fatal, where the kernel refuses it: the engine is confined as
     * before by its user, chroot and empty bounding set.
     */
    private static void confine(Engine engine) {
        try {
            String skipped = Seccomp.confine();
            if (skipped != null) {
                log.info("no seccomp filter: {}", skipped);
            }
        } catch (java.io.IOException e) {
            log.warn("no seccomp filter ({}): a {} taken over could ptrace the check scripts", e.getMessage(),
                    engine.id().title());
        }
    }

    private static void fatal(Engine engine, String why) {
        log.error("{}", why);
        LogConfig.flush();
        Runtime.getRuntime().halt(1);
    }

}
