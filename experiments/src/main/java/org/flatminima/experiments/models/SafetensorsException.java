package org.flatminima.experiments.models;

import java.nio.file.Path;
import org.flatminima.experiments.UserException;

/**
 * A safetensors file that cannot be read or written, or whose tensors do not fit a model. The message is one line
 * {@code <file>: <problem>}.
 */
public final class SafetensorsException extends UserException {
    private static final long serialVersionUID = 1L;

    /** A problem with {@code file}. */
    public SafetensorsException(Path file, String problem) {
        super(file + ": " + problem);
    }

    /** A problem with {@code file} caused by {@code cause} (an I/O or JSON error). */
    public SafetensorsException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
