package org.hoststated.ctl;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.hoststated.core.msg.Empty;
import org.hoststated.core.msg.Imsg;
import org.hoststated.core.msg.MessageType;
import org.hoststated.core.msg.Text;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * hoststatectl(8): the control client. Runs in its own short-lived JVM (or in a test's), talks
 * to the daemon over its Unix control socket through {@link ControlClient} and prints the
 * replies in the layout of the original (SPEC 2.2, {@link SummaryFormatter}).
 *
 * <p>Exit status, decided here only: {@link #EXIT_OK} on success; {@link #EXIT_FAILURE} when
 * the daemon refuses a command, cannot be reached, answers garbage, and also for usage errors
 * (the original exits 1 for those as well).
 */
@Command(name = "hoststatectl",
        synopsisSubcommandLabel = "<command>",
        description = "Control the hoststated daemon.",
        subcommands = {
            ShowCommand.class,
            ServiceCommand.class,
            TableCommand.class,
            HostCommand.class,
            ReloadCommand.class,
            PollCommand.class,
            MonitorCommand.class,
            StopCommand.class,
            LogCommand.class,
            CommandLine.HelpCommand.class,
        })
public final class Hoststatectl implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final String DEFAULT_SOCKET = "/var/run/hoststated.sock";
    /** How long a command waits for each reply of the daemon (not {@code monitor}). */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    /** {@value #DEFAULT_SOCKET}, unless $HOSTSTATECTL_SOCKET names another (tests, jails). */
    @Option(names = "-s", paramLabel = "<socket>", scope = ScopeType.INHERIT,
            description = "Use this control socket instead of ${DEFAULT-VALUE}.")
    String socket = defaultSocket();

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Spec
    CommandSpec spec;

    private final Duration timeout;
    private final Clock clock;

    /** For picocli's tools (completion script generator); {@link #commandLine} is the entry. */
    public Hoststatectl() {
        this(REPLY_TIMEOUT, Clock.systemDefaultZone());
    }

    Hoststatectl(Duration timeout, Clock clock) {
        this.timeout = timeout;
        this.clock = clock;
    }

    private static String defaultSocket() {
        String env = System.getenv("HOSTSTATECTL_SOCKET");
        return env == null || env.isEmpty() ? DEFAULT_SOCKET : env;
    }

    public static void main(String[] args) {
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, cs));
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, cs), true);
        int rc = commandLine(out, err).execute(args);
        out.flush();
        err.flush();
        System.exit(rc);
    }

    /** The command line as {@code main} runs it; tests call {@code execute(args)} on it. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, new Hoststatectl());
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err, Duration timeout, Clock clock) {
        return commandLine(out, err, new Hoststatectl(timeout, clock));
    }

    private static CommandLine commandLine(PrintWriter out, PrintWriter err, Hoststatectl top) {
        CommandLine cl = new CommandLine(top);
        cl.setOut(out);
        cl.setErr(err);
        ErrorHandler handler = new ErrorHandler();
        cl.setParameterExceptionHandler(handler);
        cl.setExecutionExceptionHandler(handler);
        // Must follow the registration of every subcommand: it covers only those present.
        cl.setAbbreviatedSubcommandsAllowed(true);
        return cl;
    }

    /** {@code hoststatectl} alone: the usage, as a usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return EXIT_FAILURE;
    }

    /**
     * The top command of the command line {@code cmd} belongs to, which holds the socket
     * option. (Not {@code @ParentCommand}: every annotation type picocli reads costs start-up
     * time, and {@code @Spec} is there anyway.)
     */
    private static Hoststatectl top(CommandSpec cmd) {
        return (Hoststatectl) cmd.root().userObject();
    }

    /** Opens a connection to the daemon for the command {@code cmd}. */
    static ControlClient connect(CommandSpec cmd) throws ControlException {
        Hoststatectl top = top(cmd);
        return ControlClient.connect(top.socket, top.timeout);
    }

    /** Opens a connection for {@code monitor}: events may be hours apart. */
    static ControlClient connectNoTimeout(CommandSpec cmd) throws ControlException {
        return ControlClient.connect(top(cmd).socket, null);
    }

    static Clock clock(CommandSpec cmd) {
        return top(cmd).clock;
    }

    /**
     * Sends one request that is answered by CTL_OK or CTL_FAIL and reports the answer:
     * {@code command succeeded}, or {@code command failed: <reason>} on stderr.
     */
    static int request(CommandSpec cmd, MessageType type, Object payload) throws ControlException {
        try (ControlClient c = connect(cmd)) {
            c.send(type, payload);
            Imsg reply = c.read();
            if (reply.type() == MessageType.CTL_OK) {
                PrintWriter out = cmd.commandLine().getOut();
                out.print(SummaryFormatter.commandSucceeded());
                out.flush();
                return EXIT_OK;
            }
            if (reply.type() == MessageType.CTL_FAIL) {
                return commandFailed(cmd, reply);
            }
            throw ControlException.unexpected(reply);
        }
    }

    static int request(CommandSpec cmd, MessageType type) throws ControlException {
        return request(cmd, type, Empty.INSTANCE);
    }

    /** Reports a CTL_FAIL reply on stderr. */
    static int commandFailed(CommandSpec cmd, Imsg fail) {
        PrintWriter err = cmd.commandLine().getErr();
        err.print(SummaryFormatter.commandFailed(fail.payload(Text.class).text()));
        err.flush();
        return EXIT_FAILURE;
    }

    /**
     * Maps every failure to its one line on stderr and its exit status. A class, not lambdas:
     * the first lambda of a JVM costs the CLI's start-up several milliseconds.
     */
    private static final class ErrorHandler
            implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {
        /** A usage error: the message, then the usage of the command it concerns. */
        @Override
        public int handleParseException(ParameterException e, String[] args) {
            CommandLine cmd = e.getCommandLine();
            PrintWriter err = cmd.getErr();
            String msg = e.getMessage();
            err.println("hoststatectl: " + (msg.startsWith("Error: ") ? msg.substring(7) : msg));
            cmd.usage(err);
            err.flush();
            return EXIT_FAILURE;
        }

        @Override
        public int handleExecutionException(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
            PrintWriter err = cmd.getErr();
            if (e instanceof ControlException) {
                err.println("hoststatectl: " + e.getMessage());
            } else {
                // A bug of ours: still one line, never a stack trace in front of the operator.
                err.println("hoststatectl: internal error: " + e);
            }
            err.flush();
            return EXIT_FAILURE;
        }
    }
}
