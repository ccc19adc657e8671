package org.hoststated.core.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the files of one load (the main file and its includes) within one byte budget. Owned
 * by the loading thread. Only regular files are read: the parent loads the file at every
 * reload on its event loop, where a FIFO would block it until someone writes to it and a
 * device such as /dev/zero (size 0) would fill its heap. The budget is shared, so a file that
 * includes a large file many times cannot fill memory either.
 */
final class ConfigFiles {
    /** Bytes read in all by one load; the parent's heap (64 MiB) holds them with the model. */
    static final int MAX_TOTAL = 16 << 20;

    /** Why a file could not be read, as the text after {@code cannot read ...: }. */
    static final class ReadError extends Exception {
        private static final long serialVersionUID = 1L;

        /** The line the fault is on, or 0 for the whole file. */
        final int line;

        ReadError(String message) {
            this(0, message);
        }

        ReadError(int line, String message) {
            super(message, null, false, false);
            this.line = line;
        }
    }

    /**
     * {@code b} decoded as UTF-8, which it must be: a byte that is not (a Latin-1 letter) was
     * read as U+FFFD in silence, so servers got other bytes than the operator wrote, and a
     * filter with it never matched (probe D).
     */
    private static String utf8(byte[] b) throws ReadError {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            String text = new String(b, StandardCharsets.UTF_8);
            int bad = text.indexOf('\uFFFD');
            int line = 1 + (int) text.substring(0, Math.max(0, bad)).chars().filter(c -> c == '\n').count();
            throw new ReadError(line, "bytes that are not UTF-8 (the file must be UTF-8 text)");
        }
    }

    private long left = MAX_TOTAL;

    /** Why a symbolic link that {@link Files#exists} follows to nothing leads nowhere. */
    private static String symbolicLinkProblem(Path path) {
        try {
            path.toRealPath();
            return "no such file";
        } catch (java.nio.file.FileSystemException e) {
            String why = e.getReason();
            return why != null && why.contains("Too many levels") ? "a symbolic link loop"
                    : "a symbolic link to a file that does not exist";
        } catch (IOException e) {
            return "a symbolic link to a file that does not exist";
        }
    }

    /** Reads {@code path} as UTF-8, charging its size to the budget. */
    String read(Path path) throws ReadError {
        try {
            if (!Files.exists(path)) {
                // A link that leads nowhere: its loop, or a target that is gone.
                throw new ReadError(Files.isSymbolicLink(path) ? symbolicLinkProblem(path) : "no such file");
            }
            if (!Files.isRegularFile(path)) {
                throw new ReadError(Files.isDirectory(path) ? "is a directory" : "not a regular file");
            }
            String untrusted = FileTrust.problem(path);
            if (untrusted != null) {
                throw new ReadError(untrusted);
            }
            byte[] b;
            try (InputStream in = Files.newInputStream(path)) {
                b = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, left + 1));
            }
            if (b.length > left) {
                throw new ReadError("file too large: the configuration and its includes may have "
                        + (MAX_TOTAL >> 20) + " MiB in all");
            }
            left -= b.length;
            return utf8(b);
        } catch (NoSuchFileException e) {
            throw new ReadError("no such file");
        } catch (AccessDeniedException e) {
            throw new ReadError("permission denied");
        } catch (IOException | RuntimeException e) {
            throw new ReadError(Messages.clip(String.valueOf(e.getMessage())));
        }
    }

}
