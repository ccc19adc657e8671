package org.hoststated.core.config;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the parser collected, before references are resolved and defaults applied: mutable,
 * with the position of every statement that a later check may blame. Owned by the loading
 * thread and thrown away once the {@link Config} is built.
 */
final class Draft {
    Integer intervalSec;
    Pos intervalPos;
    Integer timeoutMs;
    Pos timeoutPos;
    LogMode log = LogMode.NONE;
    Integer prefork;
    Pos preforkPos;
    String demote;
    String user = Globals.DEFAULT_USER;
    String chroot = Globals.DEFAULT_CHROOT;
    String socket = Globals.DEFAULT_SOCKET;
    /** Where user, chroot and socket were given; null while not. */
    Pos userPos;
    Pos chrootPos;
    Pos socketPos;
    String l3Backend;
    boolean l3KeepRules;

    final List<TableDraft> tables = new ArrayList<>();
    final List<ServiceDraft> services = new ArrayList<>();
    final List<RelayDraft> relays = new ArrayList<>();
    /** Whether the file has a service or relay, kept or lost to an error in it. */
    boolean servicesWritten;
    final List<ProtocolDraft> protocols = new ArrayList<>();
    /**
     * Blocks refused for their name ("table NAME", ...): a reference to one is not also "no
     * such table", which named one mistake twice (probe AC 6).
     */
    final Set<String> refusedNames = new HashSet<>();

    /** A reference to a table (or template) by name, with an optional port. */
    static final class TableRef {
        final String name;
        final int port;
        final Pos pos;
        /** The table it ends up naming, set by the template expander. */
        String resolved;

        TableRef(String name, int port, Pos pos) {
            this.name = name;
            this.port = port;
            this.pos = pos;
        }
    }

    record HostDraft(String name, InetAddress address, int retry) {
    }

    static final class TableDraft {
        final String name;
        final Pos pos;
        int port;
        /**
         * Its {@code real port} line failed: it may have meant a port, so a reference is not
         * told that the table is a template and needs one.
         */
        boolean portLineBroken;
        CheckConfig check = CheckConfig.none();
        Integer timeoutMs;
        Pos timeoutPos;
        Integer intervalSec;
        Pos intervalPos;
        boolean disabled;
        String demote;
        /** Where each setting was first given ({@link ParseContext#given}). */
        final Map<String, Pos> given = new HashMap<>();
        final List<HostDraft> hosts = new ArrayList<>();
        /** The name each address of {@link #hosts} was first listed as. */
        final Map<InetAddress, String> namesByAddress = new HashMap<>();
        /** The hosts listed more than once: where first listed again, as what, and how often in all. */
        final Map<InetAddress, TableParser.ListedAgain> listedAgain = new java.util.LinkedHashMap<>();

        TableDraft(String name, Pos pos) {
            this.name = name;
            this.pos = pos;
        }
    }

    static final class ServiceDraft {
        final String name;
        final Pos pos;
        final List<VirtualHost> virtualHosts = new ArrayList<>();
        TableRef table;
        TableRef backup;
        boolean sticky;
        String tag;
        boolean killStates;
        boolean disabled;

        ServiceDraft(String name, Pos pos) {
            this.name = name;
            this.pos = pos;
        }

        int port() {
            return virtualHosts.isEmpty() ? 0 : virtualHosts.get(0).port();
        }
    }

    static final class RelayDraft {
        final String name;
        final Pos pos;
        ListenConfig listen;
        ForwardTarget forward;
        String service;
        int serviceRetry;
        Pos servicePos;
        TableRef table;
        Mode mode = Mode.LOADBALANCE;
        boolean noCheck;
        boolean natLookup;
        int natRetry;
        String protocol;
        Pos protocolPos;
        int timeoutSec = RelayConfig.DEFAULT_TIMEOUT_SEC;
        boolean disabled;
        /** Where each setting was first given ({@link ParseContext#given}). */
        final Map<String, Pos> given = new HashMap<>();

        RelayDraft(String name, Pos pos) {
            this.name = name;
            this.pos = pos;
        }

        boolean hasTarget() {
            return forward != null || service != null || table != null;
        }
    }

    static final class ProtocolDraft {
        final String name;
        final Pos pos;
        ProtocolType type = ProtocolType.TCP;
        /** Where each setting was first given ({@link ParseContext#given}). */
        final Map<String, Pos> given = new HashMap<>();
        int backlog = TcpOptions.DEFAULT_BACKLOG;
        Boolean nodelay;
        Boolean sack;
        int socketBuffer;
        int ipTtl;
        int ipMinTtl;
        String ciphers = SslOptions.DEFAULT_CIPHERS;
        int sessionCache = SslOptions.CACHE_DEFAULT;
        boolean tls = true;
        Pos tlsPos;
        final List<ProtocolNode> nodes = new ArrayList<>();
        String label;
        boolean returnError;
        String errorStyle;
        /** Where the first HTTP action or {@code return error} is, and which; null without one. */
        Pos httpPos;
        String httpWhat;

        ProtocolDraft(String name, Pos pos) {
            this.name = name;
            this.pos = pos;
        }
    }
}
