package org.hoststated.core.config;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The parser's view of the input: tokens of the main file with included files spliced in at
 * the point of their {@code include}, and a small lookahead. Owned by the loading thread.
 */
final class TokenStream {
    /** Includes nested in one another below the configuration file, as hoststated.conf(5) says. */
    static final int MAX_INCLUDE_DEPTH = 16;

    /**
     * A file being read: its lexer, for real files its directory and canonical path, the '{' it
     * opened that are not closed yet (innermost first), and for an included file the '}' that
     * ended its include's line, which the including file's block reads after this file.
     */
    private record Source(Lexer lexer, Path dir, Path canonical, Deque<Token> open, List<Token> after) {
        Source(Lexer lexer, Path dir, Path canonical, List<Token> after) {
            this(lexer, dir, canonical, new ArrayDeque<>(), after);
        }
    }

    private final Deque<Source> stack = new ArrayDeque<>();
    private final List<Token> ahead = new ArrayList<>();
    /** Tokens that end an included file's blocks left open, given before the lexers' next. */
    private final Deque<Token> closing = new ArrayDeque<>();
    private Token last;
    private final Macros macros;
    private final Diagnostics diag;
    private final ConfigFiles files;

    TokenStream(String text, String fileName, Path file, Macros macros, Diagnostics diag, ConfigFiles files) {
        this.macros = macros;
        this.diag = diag;
        this.files = files;
        Path dir = file == null ? null : file.toAbsolutePath().getParent();
        stack.push(new Source(new Lexer(text, fileName, macros, diag), dir, canonical(file), List.of()));
    }

    Token peek() {
        return peek(0);
    }

    Token peek(int n) {
        while (ahead.size() <= n) {
            ahead.add(fetch());
        }
        return ahead.get(n);
    }

    Token next() {
        last = ahead.isEmpty() ? fetch() : ahead.remove(0);
        return last;
    }

    /**
     * The block that {@code open} began ends without its '}' (a top-level statement begins in
     * it): the statement that opened it ends here, and the brace is no longer counted as open
     * in its file.
     */
    void closedWithoutBrace(Token open) {
        Token next = peek();
        // The block's statement ends before the next token, as at a '}' and its end of line.
        ahead.add(0, new Token(Token.Kind.NEWLINE, "\n", next.file(), next.line()));
        for (Source s : stack) {
            if (s.open().removeIf(t -> t == open)) {
                return;
            }
        }
    }

    /** The token {@link #next} returned last, or null. */
    Token lastTaken() {
        return last;
    }

    /** Name and last line of the main file, for errors that belong to no statement. */
    Pos end() {
        Lexer main = stack.peekLast().lexer();
        return new Pos(main.file(), main.line());
    }

    /**
     * The next token. A block begins and ends in one file: a block an included file leaves
     * open is reported at its '{' and closed at the file's end, and a '}' of an included file
     * that would close a block of the including one is reported and dropped. Spliced across
     * files, the blocks were reported at the including file's next statement ("expected table
     * option, got 'relay'"), far from the cause (probe W).
     */
    private Token fetch() {
        while (true) {
            if (!closing.isEmpty()) {
                return closing.poll();
            }
            Source s = stack.peek();
            Token t = s.lexer().next();
            boolean included = stack.size() > 1;
            switch (t.kind()) {
                case LBRACE -> s.open().push(t);
                case RBRACE -> {
                    if (s.open().isEmpty() && included) {
                        diag.error(t, "'}' would close a block begun in another file: a block ends in the file "
                                + "it begins in");
                        continue;
                    }
                    s.open().poll();
                }
                case EOF -> {
                    if (!included) {
                        return t;
                    }
                    // End of an included file ends its last statement, as a newline would.
                    stack.pop();
                    Token end = new Token(Token.Kind.NEWLINE, "\n", t.file(), t.line());
                    if (!s.open().isEmpty()) {
                        diag.error(s.open().peekLast(), "block not closed by the end of the file: a block ends "
                                + "in the file it begins in");
                        for (int i = s.open().size(); i > 0; i--) {
                            closing.add(new Token(Token.Kind.RBRACE, "}", t.file(), t.line()));
                            closing.add(end);
                        }
                    }
                    closing.addAll(s.after());
                    return end;
                }
                default -> {
                }
            }
            return t;
        }
    }

    /**
     * Reads an included file; its tokens come next. Called with no lookahead pending beyond
     * the end of the include statement but a '}' that ends its line ({@code include "f" }}, as
     * {@code host ... }} ends a table), which then comes after the included file's tokens.
     * False, with the error reported, when it cannot; the '}' then comes next.
     */
    boolean include(String name, Token at) {
        // The stack holds the configuration file too: it is no include.
        if (stack.size() > MAX_INCLUDE_DEPTH) {
            diag.error(at, "include nested too deeply: " + Messages.clip(name));
            return false;
        }
        if (name.isEmpty()) {
            // Resolved, it would be the including file's directory: "is a directory".
            diag.error(at, "cannot include an empty file name");
            return false;
        }
        Path dir = stack.peek().dir();
        Path path;
        try {
            path = dir == null ? Path.of(name) : dir.resolve(name);
        } catch (RuntimeException e) {
            diag.error(at, "cannot include " + Messages.clip(name) + ": invalid path");
            return false;
        }
        Path canonical = canonical(path);
        for (Source s : stack) {
            if (canonical != null && canonical.equals(s.canonical())) {
                diag.error(at, "include loop: " + Messages.clip(name));
                return false;
            }
        }
        String text = read(path, name, at);
        if (text == null) {
            return false;
        }
        // A pending EOF of the outer file would otherwise come before the included text;
        // the outer lexer gives EOF again when the included file is done.
        ahead.removeIf(t -> t.kind() == Token.Kind.EOF);
        List<Token> after = List.copyOf(ahead);
        ahead.clear();
        Path parent = path.toAbsolutePath().getParent();
        stack.push(new Source(new Lexer(text, path.toString(), macros, diag), parent, canonical, after));
        return true;
    }

    private String read(Path path, String name, Token at) {
        try {
            return files.read(path);
        } catch (ConfigFiles.ReadError e) {
            // A relative name is the including file's directory's: say which file that was,
            // or "conf/e.conf: no such file" beside an existing ./conf/e.conf puzzled (probe W).
            String tried = Path.of(name).isAbsolute() ? "" : " (" + Messages.clip(path.toString()) + ")";
            String where = e.line > 0 ? "line " + e.line + ": " : "";
            diag.error(at, "cannot include " + Messages.clip(name) + tried + ": " + where + e.getMessage());
            return null;
        }
    }

    private static Path canonical(Path p) {
        if (p == null) {
            return null;
        }
        try {
            return p.toRealPath();
        } catch (IOException | RuntimeException e) {
            return p.toAbsolutePath().normalize();
        }
    }
}
