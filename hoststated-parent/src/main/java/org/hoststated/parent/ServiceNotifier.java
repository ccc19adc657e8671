package org.hoststated.parent;

import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.hoststated.core.posix.NotifySocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells systemd (a {@code Type=notify} unit) how the daemon is: {@code READY=1} once every
 * engine runs the first configuration, so that units ordered after it start when relays and
 * rules are in place; {@code STOPPING=1} at shutdown; and, when the unit sets
 * {@code WatchdogSec}, {@code WATCHDOG=1} at half that period from the parent's loop, so that
 * a hung parent is killed and restarted (the parent's own watchdog covers the engines). Without
 * {@code $NOTIFY_SOCKET} it does nothing. Runs on the parent's loop.
 */
final class ServiceNotifier {
    private static final Logger log = LoggerFactory.getLogger(ServiceNotifier.class);

    private final NotifySocket socket;
    private boolean failed;

    private ServiceNotifier(NotifySocket socket) {
        this.socket = socket;
    }

    /** The notifier for this process's environment; a socket that cannot be reached is logged and ignored. */
    static ServiceNotifier fromEnvironment(Map<String, String> env) {
        try {
            return new ServiceNotifier(NotifySocket.fromEnvironment(env));
        } catch (IOException | IllegalArgumentException e) {
            log.warn("cannot notify the service manager: {}", e.getMessage());
            return new ServiceNotifier(null);
        }
    }

    /** Starts the watchdog pings that {@code WATCHDOG_USEC} asks for, when they are meant for this process. */
    void startWatchdog(EventLoop loop, Map<String, String> env) {
        long usec = watchdogUsec(env, ProcessHandle.current().pid());
        if (socket == null || usec <= 0) {
            return;
        }
        long period = Math.max(1, usec / 2);
        loop.scheduleAtFixedRate(() -> send("WATCHDOG=1"), 0, period, TimeUnit.MICROSECONDS);
        log.debug("service manager watchdog: pinging every {} ms", period / 1000);
    }

    /**
     * The watchdog period for process {@code pid}, or 0: systemd sets {@code WATCHDOG_PID} when
     * the variables may have reached a process they are not meant for.
     */
    static long watchdogUsec(Map<String, String> env, long pid) {
        try {
            String forPid = env.get("WATCHDOG_PID");
            if (forPid != null && Long.parseLong(forPid.trim()) != pid) {
                return 0;
            }
            String usec = env.get("WATCHDOG_USEC");
            return usec == null ? 0 : Math.max(0, Long.parseLong(usec.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    void ready(String status) {
        send("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid());
    }

    void stopping() {
        send("STOPPING=1");
    }

    private void send(String message) {
        if (socket == null) {
            return;
        }
        try {
            socket.send(message);
            failed = false;
        } catch (IOException e) {
            // Once per run of failures: a watchdog ping fails again every period.
            if (!failed) {
                log.warn("cannot notify the service manager: {}", e.getMessage());
            }
            failed = true;
        }
    }
}
