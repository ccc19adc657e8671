package org.hoststated.parent;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.hoststated.core.config.ConfigLoader;
import org.hoststated.core.config.Diagnostic;
import org.hoststated.core.log.LogConfig;
import org.hoststated.core.log.ThrottledCount;
import org.hoststated.core.proc.ChannelIdSeed;
import org.hoststated.core.posix.Privileges;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code hoststated [-dnv] [-D macro=value] [-f file]}: the daemon's command line, as in the
 * original manual. Runs in the parent JVM.
 */
@Command(name = "hoststated", sortOptions = false, usageHelpAutoWidth = true,
        // -h shows the synopsis of the manual and of a usage error, "-f file" rather than
        // picocli's "-f=file", which no Unix manual writes.
        separator = " ", synopsisHeading = "usage: ", customSynopsis = Hoststated.SYNOPSIS,
        versionProvider = Hoststated.Version.class,
        description = "Host status daemon for server load balancing.")
public final class Hoststated implements Callable<Integer> {
    /**
     * The file read without {@code -f}: /etc/hoststated.conf, or where the launcher says
     * ({@code -Dhoststated.default-config}; install.sh writes its SYSCONFDIR there), so that
     * {@code hoststated -n} checks the file the installed service reads. Named so that ps,
     * which shows it on every parent's command line, does not read as the file in use (probe AC).
     */
    static final String DEFAULT_CONFIG = System.getProperty("hoststated.default-config", "/etc/hoststated.conf");
    static final String SYNOPSIS = "hoststated [-dnv] [-D macro=value] [-f file]";

    @Option(names = "-d", description = "Do not daemonize; log to stderr.")
    boolean foreground;

    @Option(names = "-n", description = "Check the configuration file and exit.")
    boolean configTest;

    @Option(names = "-v", description = "Verbose output (with -n: print the configuration).")
    boolean verbose;

    /** Split in {@link #call()}, so that a bad one gets our message rather than picocli's. */
    @Option(names = "-D", paramLabel = "macro=value", description = "Define a macro; it overrides the file's.")
    List<String> defines = new ArrayList<>();

    @Option(names = "-f", paramLabel = "file", description = "Configuration file, by default:%n${DEFAULT-VALUE}",
            showDefaultValue = CommandLine.Help.Visibility.NEVER)
    Path file = Path.of(DEFAULT_CONFIG);

    /** Set in the copy of the daemon that {@link Daemonizer} starts in the background. */
    @Option(names = "--detached", hidden = true)
    boolean detached;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help.")
    boolean help;

    @Option(names = {"-V", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    /** What -V prints. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"hoststated " + org.hoststated.core.BuildVersion.of()};
        }
    }

    @Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        Daemonizer.rememberArguments(args);
        ChannelIdSeed.install();
        int status = commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
        ThrottledCount.flushPending(); // counts whose minute the stop cut short
        LogConfig.flush(); // what a syslog daemon that is behind has not taken yet
        System.exit(status);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Hoststated());
        cl.setOut(out);
        cl.setErr(err);
        // As getopt(3): a flag given twice (relayd's -vv) is a flag given, and -f's last value wins.
        cl.setOverwrittenOptionsAllowed(true);
        // Usage errors exit 1, like every other failure of the daemon's command line.
        cl.setParameterExceptionHandler((ex, args) -> {
            err.println("hoststated: " + usageError(ex));
            err.println("usage: " + SYNOPSIS);
            return 1;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            err.println("hoststated: " + ex.getMessage());
            return 1;
        });
        return cl;
    }

    /**
     * A usage error in the words of the daemon's other messages (and hoststatectl's): the
     * parsing library's "Unknown option: '-x'" and "Unmatched argument at index 3" read as
     * another program's (probe AL).
     */
    static String usageError(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            return first.startsWith("-") && first.length() > 1 ? "unknown option " + first
                    : "unexpected argument " + first;
        }
        if (ex instanceof CommandLine.MissingParameterException m && !m.getMissing().isEmpty()
                && m.getMissing().get(0) instanceof CommandLine.Model.OptionSpec o) {
            return "option " + o.shortestName() + " needs an argument (" + o.paramLabel() + ")";
        }
        String msg = String.valueOf(ex.getMessage());
        return msg.isEmpty() ? msg : Character.toLowerCase(msg.charAt(0)) + msg.substring(1);
    }

    /** What in the globals would keep the daemon from starting on this host (-n). */
    static List<String> startProblemsHere(org.hoststated.core.config.Globals g) {
        List<String> out = new java.util.ArrayList<>();
        String unprivileged = UnprivilegedSetting.problem(g);
        if (unprivileged != null) {
            out.add(unprivileged);
        }
        try {
            String socket = ControlSocketPath.problem(Path.of(g.socket()));
            if (socket != null) {
                out.add(socket);
            }
        } catch (java.io.IOException e) {
            // looked at again at the start
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (!configTest) {
            StartSignals.hold();
        }
        Map<String, String> macros = new LinkedHashMap<>();
        for (String define : defines) {
            int eq = define.indexOf('=');
            if (eq < 0) {
                err.println("hoststated: -D " + define + ": expected macro=value");
                return 1;
            }
            String name = define.substring(0, eq);
            // As a name the file may define: a letter, then letters, digits and _.
            if (!name.matches("[A-Za-z][A-Za-z0-9_]*")) {
                err.println("hoststated: -D " + name + "=...: a macro name is a letter, then letters, digits and _");
                return 1;
            }
            String bad = ConfigLoader.macroDefinitionError(name, define.substring(eq + 1));
            if (bad != null) {
                err.println("hoststated: -D " + name + "=...: " + bad);
                return 1;
            }
            macros.put(name, define.substring(eq + 1));
        }
        LogConfig.init("hoststated", "parent", foreground || configTest, verbose);
        // Under -d the log's lines start with the process's name, these as the reload's do
        // (probe BA); -n and a start from a terminal print them as a compiler would.
        String asParent = foreground && !configTest ? "parent: " : "";
        // Under the journal each line begins with its priority too, as the log's lines do.
        String asWarning = asParent.isEmpty() ? "" : LogConfig.priorityPrefix(org.slf4j.event.Level.WARN);
        String asError = asParent.isEmpty() ? "" : LogConfig.priorityPrefix(org.slf4j.event.Level.ERROR);
        ConfigSource source = new ConfigSource(file, macros);
        ConfigSource.Outcome o = source.load();
        if (!o.ok()) {
            // Errors and warnings in the order of the file's lines, as an operator fixes them.
            for (String line : DiagnosticOrder.lines(o.errors(), detached ? List.of() : o.warnings())) {
                err.println((line.endsWith(" (warning)") ? asWarning : asError) + asParent + line);
            }
            return 1;
        }
        // Not again in the detached copy: the JVM on the terminal printed them, and it shows
        // what the copy prints only when the copy fails to start.
        for (Diagnostic w : detached ? List.<Diagnostic>of() : o.warnings()) {
            err.println(asWarning + asParent + w + " (warning)");
        }
        String rootUser = detached ? null : UnprivilegedSetting.rootWarning(o.loaded().config().globals());
        if (rootUser != null) {
            err.println(asWarning + asParent + rootUser + " (warning)");
        }
        for (String w : detached ? List.<String>of() : SocketBufferLimit.problems(o.loaded().config())) {
            err.println(asWarning + asParent + file + ": " + w + " (warning)"); // of the file, as the others (probe AG)
        }
        // As relayd's -v: macros defined and never used.
        for (Diagnostic w : detached || !verbose ? List.<Diagnostic>of() : o.verboseWarnings()) {
            err.println(asWarning + asParent + w + " (warning)");
        }
        if (configTest) {
            KeyPairs.ConfigTest keys = KeyPairs.configTest(o.loaded().config());
            for (String w : keys.warnings()) {
                err.println(w + " (warning)");
            }
            if (!keys.errors().isEmpty()) {
                keys.errors().forEach(err::println);
                return 1;
            }
            for (String w : CheckScripts.problems(o.loaded().config())) {
                err.println(w + " (warning)");
            }
            // Warnings, not errors: the file may be meant for another host (probe AH: "OK" for a
            // socket in a directory that does not exist here, then a start that failed).
            for (String w : startProblemsHere(o.loaded().config().globals())) {
                err.println(w + ": a start on this host would fail (warning)");
            }
            if (verbose) {
                PrintWriter out = spec.commandLine().getOut();
                // print() is not flushed by the writer's autoflush, and main exits right after.
                String text = o.loaded().text();
                // A file ends in a newline: without it, "configuration OK" on stderr joins the
                // last "}" on a terminal, and a redirected copy lacks the final line's end.
                out.print(text.endsWith("\n") ? text : text + "\n");
                out.flush();
            }
            err.println("configuration OK");
            spec.commandLine().getErr().flush();
            return 0;
        }
        if (Privileges.geteuid() != 0) {
            err.println("hoststated: need root privileges");
            return 1;
        }
        String unprivileged = UnprivilegedSetting.problem(o.loaded().config().globals());
        if (unprivileged != null) {
            err.println("hoststated: " + unprivileged);
            return 1;
        }
        if (!foreground && !detached) {
            String l3 = L3Lock.problem(o.loaded().config());
            if (l3 != null) {
                err.println("hoststated: " + l3);
                return 1;
            }
            return Daemonizer.detach(err, o.loaded().config().globals().socket());
        }
        return Daemon.run(source, o.loaded(), foreground, err);
    }
}
