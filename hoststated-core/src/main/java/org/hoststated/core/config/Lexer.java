package org.hoststated.core.config;

/**
 * Splits one file's text into tokens, expanding {@code $macro} outside quotes, as parse.y's
 * yylex did. Single use, owned by the loading thread. Never throws on bad input: a lexical
 * error is reported and the rest of the line skipped, and an ERROR token is returned so the
 * parser drops the statement without a second message.
 */
final class Lexer {
    /** Longest token accepted, as the original's 8 KiB buffer. */
    static final int MAX_TOKEN = 8192;
    private static final int NONE = -2;

    private final String src;
    private final String file;
    private final Macros macros;
    private final Diagnostics diag;
    private int pos;
    private int line = 1;
    private String macroBuf;
    private int macroPos;
    private int pushback = NONE;
    private boolean pushbackFromMacro;
    private boolean lastFromMacro;
    /** The file character read just after a macro name; it comes back after the value. */
    private int held = NONE;
    /** A word ended with ';' inside a line: the next token is a line break of our own. */
    private boolean breakPending;
    /** The line whose ';' was reported, so a line of several statements gets one error. */
    private int semicolonLine;

    Lexer(String src, String file, Macros macros, Diagnostics diag) {
        this.src = src;
        this.file = file;
        this.macros = macros;
        this.diag = diag;
        if (src.startsWith("\uFEFF")) {
            // Invisible in an editor, it was "expected statement, got character '?'", and the
            // first statement went with it. One error, and the file is read without it.
            diag.error(file, 1, "the file begins with a UTF-8 byte order mark, which some editors"
                    + " add: save it without one");
            pos = 1;
        }
    }

    String file() {
        return file;
    }

    int line() {
        return line;
    }

    /** Reads one character; joins backslash-newline continuations and folds CRLF. */
    private int read() {
        if (pushback != NONE) {
            int c = pushback;
            pushback = NONE;
            lastFromMacro = pushbackFromMacro;
            return c;
        }
        if (macroBuf != null) {
            if (macroPos < macroBuf.length()) {
                lastFromMacro = true;
                return macroBuf.charAt(macroPos++);
            }
            macroBuf = null;
        }
        lastFromMacro = false;
        if (held != NONE) {
            int c = held;
            held = NONE;
            return c;
        }
        while (pos < src.length()) {
            char c = src.charAt(pos++);
            if (c == '\\' && pos < src.length()) {
                char n = src.charAt(pos);
                if (n == '\n') {
                    pos++;
                    line++;
                    continue;
                }
                if (n == '\r' && pos + 1 < src.length() && src.charAt(pos + 1) == '\n') {
                    pos += 2;
                    line++;
                    continue;
                }
            }
            if (c == '\r' && pos < src.length() && src.charAt(pos) == '\n') {
                continue;
            }
            return c;
        }
        return -1;
    }

    private void unread(int c) {
        pushback = c;
        pushbackFromMacro = lastFromMacro;
    }

    Token next() {
        if (breakPending) {
            breakPending = false;
            return token(Token.Kind.NEWLINE, "\n", line);
        }
        while (true) {
            int c = read();
            while (c == ' ' || c == '\t' || c == '\f') {
                c = read();
            }
            int at = line;
            if (c == '#') {
                while (c != '\n' && c != -1) {
                    c = read();
                }
            }
            if (c == -1) {
                return token(Token.Kind.EOF, "", at);
            }
            if (c == '\n') {
                if (!lastFromMacro) {
                    line++;
                }
                return token(Token.Kind.NEWLINE, "\n", at);
            }
            if (c == '$' && !lastFromMacro) {
                Token err = expandMacro(at);
                if (err != null) {
                    return err;
                }
                continue;
            }
            switch (c) {
                case '"', '\'':
                    return quoted((char) c, at);
                case '{':
                    return token(Token.Kind.LBRACE, "{", at);
                case '}':
                    return token(Token.Kind.RBRACE, "}", at);
                case ',':
                    return token(Token.Kind.COMMA, ",", at);
                case '=':
                    return token(Token.Kind.EQUALS, "=", at);
                default:
                    break;
            }
            if (isAlnum(c) || c == ':' || c == '_') {
                return word(c, at);
            }
            return token(Token.Kind.OTHER, String.valueOf((char) c), at);
        }
    }

    /** Starts reading a macro's value; returns an ERROR token when it is not defined. */
    private Token expandMacro(int at) {
        StringBuilder name = new StringBuilder();
        int c = read();
        while (c != -1 && (isAlnum(c) || c == '_') && name.length() <= MAX_TOKEN) {
            name.append((char) c);
            c = read();
        }
        unread(c);
        String value = macros.get(name.toString());
        if (value == null) {
            // What follows is read as usual: skipping the rest of the line took a block's closing
            // brace with it ("host $undefined }"), and the next block came out as errors of this one.
            diag.error(file, at, name.isEmpty() ? "'$' without a macro name after it (a '$' in a value is"
                    + " written in quotes)" : "macro '" + Messages.clip(name.toString()) + "' not defined");
            return token(Token.Kind.ERROR, "", at);
        }
        // The value is read before what follows in the file and is not expanded again,
        // so a macro cannot recurse.
        held = pushback;
        pushback = NONE;
        macroBuf = value;
        macroPos = 0;
        return null;
    }

    private Token quoted(char end, int at) {
        StringBuilder b = new StringBuilder();
        boolean warned = false;
        while (true) {
            int c = read();
            if (c == -1 || (c == '\n' && !lastFromMacro)) {
                unread(c);
                return fail(at, "unterminated quoted string");
            }
            if (c == end) {
                return token(Token.Kind.QUOTED, b.toString(), at);
            }
            if (c == '\\') {
                int n = read();
                if (n == -1) {
                    return fail(at, "unterminated quoted string");
                }
                c = n == 'n' ? '\n' : n == 'r' ? '\r' : n == 't' ? '\t' : n;
                if ((n == '*' || n == '?' || n == '[') && !warned) {
                    // relayd's lexer kept this backslash, so a pattern written for it, "v1\*"
                    // for a literal '*', is a wider wildcard here (probe X).
                    warned = true;
                    diag.warning(file, at, "a backslash before '" + (char) n + "' in a quoted string stands for '"
                            + (char) n + "', a wildcard in a pattern; write \\\\" + (char) n + " for a literal '"
                            + (char) n + "' (relayd kept the backslash)");
                }
            }
            if (b.length() >= MAX_TOKEN) {
                return tooLong(at, end);
            }
            b.append((char) c);
        }
    }

    private Token word(int first, int at) {
        StringBuilder b = new StringBuilder();
        int c = first;
        do {
            if (c == '\\') {
                int n = read();
                if (n == -1 || n == '\n') {
                    unread(n);
                    break;
                }
                c = n;
            }
            if (b.length() >= MAX_TOKEN) {
                return tooLong(at, -1);
            }
            b.append((char) c);
            c = read();
        } while (c != -1 && allowedInWord(c));
        unread(c);
        String s = b.toString();
        if (s.length() > 1 && s.endsWith(";") && !lastFromMacro) {
            // nginx's and HAProxy's habit: "80;" was an invalid port, then the statement's loss
            // cascaded ("table web has no hosts"); several statements on a line cascaded further.
            // One error per line, and each statement is read as if it stood on its own line.
            if (semicolonLine != line) {
                semicolonLine = line;
                diag.error(file, at, "syntax error: a statement ends at the end of its line, without ';'");
            }
            s = s.substring(0, s.length() - 1);
            breakPending = c != '\n' && c != '\r' && c != -1;
        }
        return token(Keywords.isKeyword(s) ? Token.Kind.KEYWORD : Token.Kind.WORD, s, at);
    }

    /**
     * Reports a string over {@link #MAX_TOKEN} and passes over the rest of it, quoted up to
     * {@code end} ({@code -1}: a word), not the rest of the line: a block's '{' after it
     * was lost with the line, and the block's lines came out as statements of their own
     * ("table t defined twice" after a relay name too long; probe W).
     */
    private Token tooLong(int at, int end) {
        diag.error(file, at, "string too long (at most " + MAX_TOKEN + " characters)");
        int c = read();
        while (c != -1 && c != '\n' && (end < 0 ? allowedInWord(c) || c == '\\' : c != end)) {
            if (c == '\\') {
                c = read(); // what it escapes is part of the string
                if (c == '\n' || c == -1) {
                    break;
                }
            }
            c = read();
        }
        if (end < 0 || c != end) {
            unread(c);
        }
        return token(Token.Kind.ERROR, "", at);
    }

    /** Reports an error and skips the rest of the line (the newline stays for the parser). */
    private Token fail(int at, String message) {
        diag.error(file, at, message);
        int c = read();
        while (c != -1 && !(c == '\n' && !lastFromMacro)) {
            c = read();
        }
        unread(c);
        return token(Token.Kind.ERROR, "", at);
    }

    private Token token(Token.Kind kind, String text, int at) {
        return new Token(kind, text, file, at);
    }

    private static boolean isAlnum(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /** parse.y's allowed_in_string: alphanumerics and punctuation except ( ) { } ! = # , */
    private static boolean allowedInWord(int c) {
        if (isAlnum(c)) {
            return true;
        }
        boolean punct = c > 0x20 && c < 0x7f;
        return punct && "(){}!=#,".indexOf(c) < 0;
    }
}
