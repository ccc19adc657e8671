package org.hoststated.ctl;

import java.util.ArrayList;
import java.util.List;
import org.hoststated.core.msg.MessageType;

/**
 * hoststatectl's command language as data, in the manner of relayctl's parser.c: a tree of
 * keywords, each either leading to more keywords or naming the {@link Command} it runs (which
 * may take one argument). A keyword may be abbreviated to any prefix that matches no other
 * keyword at its level; an exact match always wins. The same tree produces the usage text, so
 * the two cannot drift apart.
 *
 * <p>Parsing is a walk over arrays: no reflection, no annotations, no lambdas, because a JVM
 * that starts for one command pays for every class it touches (the picocli model this replaced
 * cost about 70 % of hoststatectl's start-up).
 */
final class Grammar {
    /** One keyword: either {@code next} is non-empty or {@code command} is set. */
    static final class Token {
        final String keyword;
        final String help;
        final Command command;
        /** The label of the one argument the command takes ({@code <id|name>}), or null. */
        final String argument;
        final Token[] next;

        private Token(String keyword, String help, Command command, String argument, Token[] next) {
            this.keyword = keyword;
            this.help = help;
            this.command = command;
            this.argument = argument;
            this.next = next;
        }
    }

    /** What a command line asks for. */
    record Invocation(Command command, String argument, String socket) {
    }

    /** A command line that does not follow the grammar; the message is one line. */
    static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message, null, false, false);
        }
    }

    static final String ID_OR_NAME = "<id|name>";

    private static Token command(String keyword, String help, Command command) {
        return new Token(keyword, help, command, null, new Token[0]);
    }

    private static Token withArgument(String keyword, String help, Command command) {
        return new Token(keyword, help, command, ID_OR_NAME, new Token[0]);
    }

    private static Token keyword(String keyword, String help, Token... next) {
        return new Token(keyword, help, null, null, next);
    }

    private static Token object(String kind, MessageType enable, MessageType disable) {
        return keyword(kind, "enable or disable a " + kind,
                withArgument("enable", "enable the " + kind, RequestCommand.forObject(enable)),
                withArgument("disable", "disable the " + kind, RequestCommand.forObject(disable)));
    }

    /** The top level, in the order the usage lists it. */
    static final Token[] COMMANDS = {
        keyword("show", "show the state of services, tables, hosts, relays or sessions",
                command("summary", "services, tables, hosts and relays", ShowCommand.SUMMARY),
                command("hosts", "services, tables and hosts with their check counters", ShowCommand.HOSTS),
                command("relays", "relays with their session statistics", ShowCommand.RELAYS),
                command("sessions", "the relays' live sessions", ShowSessionsCommand.INSTANCE)),
        object("service", MessageType.CTL_SERVICE_ENABLE, MessageType.CTL_SERVICE_DISABLE),
        object("table", MessageType.CTL_TABLE_ENABLE, MessageType.CTL_TABLE_DISABLE),
        object("host", MessageType.CTL_HOST_ENABLE, MessageType.CTL_HOST_DISABLE),
        command("reload", "reload the configuration file; on errors the running one stays",
                RequestCommand.of(MessageType.CTL_RELOAD)),
        command("poll", "check every host now", RequestCommand.of(MessageType.CTL_POLL)),
        command("monitor", "print the daemon's events as they happen", MonitorCommand.INSTANCE),
        keyword("log", "set the daemon's log level",
                command("brief", "state changes and errors only", RequestCommand.logVerbose(false)),
                command("verbose", "debug messages too", RequestCommand.logVerbose(true))),
        command("stop", "stop the daemon", RequestCommand.of(MessageType.CTL_SHUTDOWN)),
        command("help", "show this help", HelpCommand.INSTANCE),
    };

    private Grammar() {
    }

    /**
     * Parses a command line. {@code -s socket} (or {@code -ssocket}) may stand anywhere;
     * {@code -h} and {@code --help} mean {@code help}; {@code --} ends the options, as with
     * getopt(3), so that every word after it is a keyword or the argument. Any other word that
     * starts with '-' is an unknown option, except where the command takes its {@code
     * <id|name>}: there it is the argument ({@code host disable -1} asks the daemon for a host
     * named "-1", as picocli does with unmatched options as positional parameters).
     *
     * @param defaultSocket the socket when no {@code -s} is given
     */
    static Invocation parse(String[] args, String defaultSocket) throws UsageException {
        String socket = defaultSocket;
        List<String> words = new ArrayList<>(args.length);
        // Where in words the operands after "--" begin.
        int operands = Integer.MAX_VALUE;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (operands != Integer.MAX_VALUE || a.length() < 2 || a.charAt(0) != '-') {
                words.add(a);
            } else if (a.equals("--")) {
                operands = words.size();
            } else if (a.equals("-s")) {
                if (++i == args.length) {
                    throw new UsageException("option -s needs a socket path");
                }
                socket = args[i];
            } else if (a.startsWith("-s")) {
                socket = a.substring(2);
            } else if (a.equals("-h") || a.equals("--help")) {
                return new Invocation(HelpCommand.INSTANCE, null, socket);
            } else {
                words.add(a);
            }
        }
        if (words.isEmpty()) {
            throw new UsageException("missing command");
        }
        return walk(words, operands, socket);
    }

    /** @param operands the index in {@code words} from which none can be an option */
    private static Invocation walk(List<String> words, int operands, String socket) throws UsageException {
        Token[] level = COMMANDS;
        String path = "";
        int i = 0;
        for (;;) {
            if (i == words.size()) {
                throw new UsageException((path.isEmpty() ? "" : path + ": ") + "missing argument: " + choices(level));
            }
            Token t = match(level, keyword(words, i++, operands), path);
            path = path.isEmpty() ? t.keyword : path + " " + t.keyword;
            if (t.command == null) {
                level = t.next;
                continue;
            }
            String argument = null;
            if (t.argument != null) {
                if (i == words.size()) {
                    throw new UsageException(path + ": missing argument: " + t.argument);
                }
                argument = words.get(i++);
            }
            if (i < words.size()) {
                throw new UsageException(path + ": unexpected argument: " + keyword(words, i, operands));
            }
            return new Invocation(t.command, argument, socket);
        }
    }

    /** The word at {@code i} where a keyword belongs: one that looks like an option is refused as such. */
    private static String keyword(List<String> words, int i, int operands) throws UsageException {
        String w = words.get(i);
        if (i < operands && w.length() > 1 && w.charAt(0) == '-') {
            throw new UsageException("unknown option " + w);
        }
        return w;
    }

    /** The token {@code word} names at this level: the exact keyword, else its only prefix match. */
    private static Token match(Token[] level, String word, String path) throws UsageException {
        Token found = null;
        StringBuilder all = null;
        for (Token t : level) {
            if (t.keyword.equals(word)) {
                return t;
            }
            if (!word.isEmpty() && t.keyword.startsWith(word)) {
                if (found == null) {
                    found = t;
                } else {
                    if (all == null) {
                        all = new StringBuilder(found.keyword);
                    }
                    all.append(", ").append(t.keyword);
                }
            }
        }
        String where = path.isEmpty() ? "" : path + ": ";
        if (all != null) {
            throw new UsageException(where + "ambiguous argument: " + word + " (" + all + ")");
        }
        if (found == null) {
            throw new UsageException(where + "unknown argument: " + word + "; expected " + choices(level));
        }
        return found;
    }

    private static String choices(Token[] level) {
        StringBuilder b = new StringBuilder();
        for (Token t : level) {
            if (b.length() > 0) {
                b.append('|');
            }
            b.append(t.keyword);
        }
        return b.toString();
    }

    static final String SYNOPSIS = "usage: hoststatectl [-s socket] command [argument ...]";

    /**
     * The usage: one line per top-level keyword with its keywords and argument, e.g.
     * {@code host enable|disable <id|name>}, and what it does.
     */
    static String usage(String defaultSocket) {
        StringBuilder b = new StringBuilder(1024);
        b.append(SYNOPSIS).append("\n\ncommands:\n");
        for (Token t : COMMANDS) {
            StringBuilder line = new StringBuilder("  ").append(t.keyword);
            if (t.next.length > 0) {
                line.append(' ').append(choices(t.next));
                if (t.next[0].argument != null) {
                    line.append(' ').append(t.next[0].argument);
                }
            }
            while (line.length() < 46) {
                line.append(' ');
            }
            b.append(line).append(t.help).append('\n');
        }
        b.append("\nKeywords may be abbreviated: hoststatectl sh su.\n")
            .append("-s socket: the control socket (default ").append(defaultSocket)
            .append(", or what $HOSTSTATECTL_SOCKET names).\n");
        return b.toString();
    }
}
