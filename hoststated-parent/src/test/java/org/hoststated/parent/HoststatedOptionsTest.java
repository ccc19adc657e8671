package org.hoststated.parent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line of hoststated(8), run with -n: what it refuses before reading the file. */
class HoststatedOptionsTest {
    private static final String CONFIG = "l3 backend $mode_1\nrelay r {\n  listen on 127.0.0.1 port 8080\n"
            + "  forward to 127.0.0.1 port 80\n}\n";

    @TempDir
    Path dir;

    private String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Hoststated.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new String[] {String.valueOf(status), err.toString()};
    }

    private String config(String text) throws Exception {
        Path f = dir.resolve("hoststated.conf");
        Files.writeString(f, text);
        return f.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"=1", "a-b=1", "$x=1", "1x=1", "_x=1"})
    void aMacroNameThatNoFileCouldDefineIsRefused(String define) throws Exception {
        String[] r = run("-n", "-D", define, "-f", config(CONFIG));
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].startsWith("hoststated: -D "), r[1]);
        assertTrue(r[1].contains("a macro name is a letter, then letters, digits and _"), r[1]);
    }

    /** As the file's own: a keyword names no macro, and a value is one line (a newline added statements). */
    @ParameterizedTest
    @ValueSource(strings = {"host=1:a macro name cannot be a keyword", "x=1\nuser \"root\":a macro value is one line"})
    void aMacroTheFileWouldRefuseIsRefused(String row) throws Exception {
        String define = row.substring(0, row.lastIndexOf(':'));
        String[] r = run("-n", "-D", define, "-f", config(CONFIG));
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].startsWith("hoststated: -D " + define.substring(0, define.indexOf('=')) + "=...: "
                + row.substring(row.lastIndexOf(':') + 1)), r[1]);
    }

    @Test
    void aDefinitionWithoutAnEqualsSignSaysWhatIsExpected() throws Exception {
        String[] r = run("-n", "-D", "mode_1", "-f", config(CONFIG));
        assertEquals("1", r[0], r[1]);
        assertTrue(r[1].startsWith("hoststated: -D mode_1: expected macro=value"), r[1]);
    }

    /**
     * As getopt(3), which relayd's and every BSD daemon's flags go through, a flag may be
     * given twice: {@code -vv}, the more verbose level of relayd, was refused ("option '-v'
     * should be specified only once") and the daemon did not start.
     */
    @ParameterizedTest
    @ValueSource(strings = {"-vv", "-nvv", "-v -v", "-nn"})
    void aFlagGivenTwiceIsTakenAsOnce(String flags) throws Exception {
        String f = config(CONFIG.replace("$mode_1", "none"));
        String[] r = run(java.util.stream.Stream.concat(java.util.Arrays.stream(("-n " + flags).split(" ")),
                java.util.stream.Stream.of("-f", f)).toArray(String[]::new));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("configuration OK"), r[1]);
    }

    /**
     * What would keep the daemon from starting on this host is warned of by -n, and the file
     * is still good (it may be for another host): -n said "configuration OK" for a control
     * socket in a directory that does not exist, and the start failed (probe AH).
     */
    @Test
    void aStartThatWouldFailHereIsWarnedOfByTheConfigTest() throws Exception {
        String[] r = run("-n", "-f", config("socket \"/nonexistent-dir/ctl.sock\"\n"
                + "relay r {\n  listen on 127.0.0.1 port 29081\n  forward to 127.0.0.1 port 29082\n}\n"));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("control socket /nonexistent-dir/ctl.sock: directory /nonexistent-dir does not exist:"
                + " a start on this host would fail (warning)"), r[1]);
        assertTrue(r[1].contains("configuration OK"), r[1]);
    }

    /**
     * Usage errors are said in the daemon's words, not the parsing library's, and -V names the
     * build (probe AL).
     */
    @Test
    void usageErrorsAreInOurWordsAndTheVersionIsPrinted() throws Exception {
        assertTrue(run("-x")[1].startsWith("hoststated: unknown option -x\nusage: hoststated"), run("-x")[1]);
        assertTrue(run("-n", "extra")[1].startsWith("hoststated: unexpected argument extra\n"), run("-n", "extra")[1]);
        assertTrue(run("-f")[1].startsWith("hoststated: option -f needs an argument (file)\n"), run("-f")[1]);
        StringWriter out = new StringWriter();
        assertEquals(0, Hoststated.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
                .execute("-V"));
        assertTrue(out.toString().startsWith("hoststated "), out.toString());
    }

    /** The warning reaches the operator who runs hoststated -n; the file is still good. */
    @Test
    void aHostListedTwiceInATableIsReportedAndTheFileIsOk() throws Exception {
        String[] r = run("-n", "-f", config("table web {\n  real port 80\n  check tcp\n  host 127.0.0.1\n"
                + "  host 127.0.0.1\n}\nservice www {\n  virtual host 127.0.0.1 port 29080\n  table web\n}\n"));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains(":5: table web: host 127.0.0.1 is listed twice; it gets a double share of"
                + " connections"), r[1]);
        assertTrue(r[1].contains("configuration OK"), r[1]);
    }

    /**
     * -nv prints the configuration as the engines get it; main writes through a PrintWriter on
     * System.out, which buffers what print() gives it until a flush.
     */
    @Test
    void verboseCheckPrintsTheConfiguration() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        int status = Hoststated.commandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute("-n", "-v", "-D", "mode_1=none", "-f", config(CONFIG));
        assertEquals(0, status, err.toString());
        String printed = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(printed.contains("relay \"r\" {"), printed);
        assertTrue(printed.contains("forward to \"127.0.0.1\" port 80"), printed);
        assertTrue(printed.endsWith("}\n"), "the printed file ends in a newline: " + printed);
    }

    /** -h shows the manual's synopsis, not picocli's "-f=file", and the options as typed. */
    @Test
    void helpShowsTheSynopsisOfTheManual() {
        StringWriter out = new StringWriter();
        int status = Hoststated.commandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
                .execute("-h");
        assertEquals(0, status);
        String help = out.toString();
        assertTrue(help.startsWith("usage: hoststated [-dnv] [-D macro=value] [-f file]\n"), help);
        assertTrue(help.matches("(?s).*\\n  -f +file .*"), help);
        assertTrue(help.matches("(?s).*\\n  -D +macro=value .*"), help);
        assertTrue(!help.contains("-f=file") && !help.contains("-D=macro"), help);
    }

    @Test
    void aMacroFromTheCommandLineIsUsed() throws Exception {
        String[] r = run("-n", "-D", "mode_1=none", "-f", config(CONFIG));
        assertEquals("0", r[0], r[1]);
        assertTrue(r[1].contains("configuration OK"), r[1]);
    }
}
