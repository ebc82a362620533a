package org.flatminima.experiments;

/**
 * An error the user caused and can fix: a bad file, a bad spec, a value out of range. The message names the
 * offending thing and the fix; the CLI prints it as one line {@code flatminima: <message>}, without a stack
 * trace, and exits with status 2 (see {@code org.flatminima.cli.ErrorHandling}).
 */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A user error with a message that says what is wrong and how to fix it. */
    public UserException(String message) {
        super(message);
    }

    /** A user error caused by {@code cause} (kept for {@code FLATMINIMA_DEBUG=1}). */
    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
