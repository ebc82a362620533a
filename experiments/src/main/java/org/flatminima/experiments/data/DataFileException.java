package org.flatminima.experiments.data;

import java.nio.file.Path;
import org.flatminima.experiments.UserException;

/**
 * A data file that cannot be used: missing, unreadable, of the wrong format, truncated, with trailing bytes, or
 * with values out of range. The message is one line that starts with the file's path and says what is wrong,
 * e.g. {@code /data/x.idx: truncated: expected 7840016 bytes, found 7840000}. The command line prints it as a
 * user error (exit status 2).
 */
public final class DataFileException extends UserException {
    private static final long serialVersionUID = 1L;

    private final String file;

    /** A problem with {@code file}; the message becomes {@code "<file>: <problem>"}. */
    public DataFileException(Path file, String problem) {
        this(file.toString(), problem, null);
    }

    /**
     * A problem with the file named {@code file} (a path, or {@code classpath:...} for an embedded resource),
     * keeping the exception that revealed it (may be null).
     */
    public DataFileException(String file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The offending file's name as it appears in the message. */
    public String file() {
        return file;
    }
}
