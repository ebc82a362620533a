package org.flatminima.cli;

import org.flatminima.experiments.EditDistance;
import org.flatminima.experiments.UserException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The error convention of the whole command line, in one place.
 *
 * <ul>
 *   <li>User errors ({@link UserException}, picocli's {@link ParameterException}, and
 *       {@link IllegalArgumentException} from bad input) print one line {@code flatminima: <message>} on
 *       stderr and exit with {@value #EXIT_USER}; no stack trace.</li>
 *   <li>Environment errors: a {@link FileSystemException} anywhere in the cause chain (permission denied, no such
 *       file or directory, not a directory, already exists, a read-only file system, no space left on device, a
 *       directory or device where a file is expected), or an {@link IOException} whose message is one of the
 *       system's error strings ({@link #SYSTEM_ERRORS}). One line {@code flatminima: <path>: <reason> (<fix>)},
 *       exit {@value #EXIT_ENVIRONMENT}; no stack trace.</li>
 *   <li>Anything else is a bug: a short line, then the stack trace, exit {@value #EXIT_BUG}.</li>
 *   <li>{@code FLATMINIMA_DEBUG=1} (or {@code -Dflatminima.debug=true}) adds the stack trace to user and
 *       environment errors.</li>
 * </ul>
 *
 * <p>Exit statuses of every command (the table of {@code flatminima --help}):
 * <table>
 *   <caption>exit statuses</caption>
 *   <tr><th>status</th><th>meaning</th></tr>
 *   <tr><td>0</td><td>success</td></tr>
 *   <tr><td>1</td><td>an environment error (one line, no trace: disk full, permission denied, read-only file
 *       system, missing directory, a directory or device where a file is expected), or a bug (a line saying
 *       so, and a stack trace)</td></tr>
 *   <tr><td>2</td><td>a user error: a bad option, file, spec or value (one line naming the fix)</td></tr>
 * </table>
 * Environment errors share status 1 with bugs: both are failures that the command line did not cause, and a
 * script that retries after fixing the machine treats them alike; the message tells them apart.
 */
public final class ErrorHandling {

    /** Exit status of an unexpected error (a bug). */
    public static final int EXIT_BUG = 1;
    /** Exit status of an environment error (disk full, permissions, a missing directory): the same as a bug's. */
    public static final int EXIT_ENVIRONMENT = 1;
    /** Exit status of an error the user can fix. */
    public static final int EXIT_USER = 2;
    /** Prefix of every error line. */
    public static final String PREFIX = "flatminima: ";

    private ErrorHandling() {
    }

    /** Installs the convention's handlers on {@code cl} (they apply to its subcommands too). */
    public static void install(CommandLine cl) {
        cl.setParameterExceptionHandler(ErrorHandling::handleParameterException);
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) ->
                handle(ex, commandLine.getErr()));
    }

    /** True for the exception types the convention treats as user errors. */
    public static boolean isUserError(Throwable t) {
        return t instanceof UserException
                || t instanceof ParameterException
                || t instanceof IllegalArgumentException;
    }

    /**
     * Reports {@code t} on {@code err} by the convention and returns the exit status. Also used by
     * {@link Main#main} for throwables that escape picocli (errors such as {@link OutOfMemoryError}).
     */
    public static int handle(Throwable t, PrintWriter err) {
        if (isUserError(t)) {
            err.println(PREFIX + oneLine(t));
            if (debug()) {
                t.printStackTrace(err);
            }
            err.flush();
            return EXIT_USER;
        }
        String env = environmentMessage(t);
        if (env != null) {
            err.println(PREFIX + env);
            if (debug()) {
                t.printStackTrace(err);
            }
            err.flush();
            return EXIT_ENVIRONMENT;
        }
        err.println(PREFIX + "unexpected error (a bug; please report it with the trace below): " + oneLine(t));
        t.printStackTrace(err);
        err.flush();
        return EXIT_BUG;
    }

    /** Messages of {@link IOException}s without a path that are system errors (errno strings), not bugs. */
    static final java.util.regex.Pattern SYSTEM_ERRORS = java.util.regex.Pattern.compile(
            "(?i).*(No space left on device|Disk quota exceeded|Read-only file system|Permission denied"
                    + "|Input/output error|Too many open files|Stale file handle|Is a directory).*");

    /**
     * The one-line message of an environment error in {@code t}'s cause chain ({@code <path>: <reason> (<fix>)}),
     * or null when {@code t} is not one.
     */
    static String environmentMessage(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof FileSystemException f) {
                String where = f.getFile() == null ? "" : f.getFile()
                        + (f.getOtherFile() == null ? "" : " -> " + f.getOtherFile()) + ": ";
                return where + withFix(reason(f));
            }
        }
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof IOException && c.getMessage() != null && SYSTEM_ERRORS.matcher(c.getMessage()).matches()) {
                return withFix(c.getMessage().strip());
            }
        }
        return null;
    }

    /** The system's reason for {@code f} (the JDK leaves it null for the common errno values it maps to a type). */
    private static String reason(FileSystemException f) {
        if (f.getReason() != null && !f.getReason().isBlank()) {
            return f.getReason().strip();
        }
        return switch (f) {
            case AccessDeniedException a -> "Permission denied";
            case NoSuchFileException n -> "No such file or directory";
            case NotDirectoryException n -> "Not a directory";
            case FileAlreadyExistsException e -> "File exists (and is not a directory)";
            case DirectoryNotEmptyException d -> "Is a directory that is not empty";
            default -> f.getClass().getSimpleName();
        };
    }

    /** {@code reason} with the fix for the usual system errors. */
    private static String withFix(String reason) {
        String r = reason.toLowerCase(Locale.ROOT);
        String fix;
        if (r.contains("no space left") || r.contains("quota")) {
            fix = "free some space there or write elsewhere";
        } else if (r.contains("read-only")) {
            fix = "write to a writable location";
        } else if (r.contains("permission denied")) {
            fix = "check the permissions of the path and its directory, or choose another path";
        } else if (r.contains("no such file")) {
            fix = "check the path; create its directory first";
        } else if (r.contains("not a directory") || r.contains("file exists")) {
            fix = "a directory is needed there: choose another path";
        } else if (r.contains("is a directory") || r.contains("not a regular file") || r.contains("symbolic links")) {
            fix = "name a regular file or a new path";
        } else {
            return reason;
        }
        return reason + " (" + fix + ")";
    }

    private static int handleParameterException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        StringBuilder line = new StringBuilder(PREFIX).append(oneLine(ex)).append(" (");
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String typed = u.getUnmatched().getFirst();
            List<String> suggestions = u.getSuggestions().stream().filter(c -> close(typed, c)).toList();
            if (!suggestions.isEmpty()) {
                line.append("did you mean '").append(String.join("' or '", suggestions)).append("'? ");
            }
        }
        line.append("see '").append(cl.getCommandSpec().qualifiedName()).append(" --help')");
        PrintWriter err = cl.getErr();
        err.println(line);
        if (debug()) {
            ex.printStackTrace(err);
        }
        err.flush();
        return EXIT_USER;
    }

    /**
     * True when {@code candidate} is a plausible correction of {@code typed}: an edit distance of at most a
     * third of the longer word (at least 1). picocli's own suggestions include unrelated names.
     */
    static boolean close(String typed, String candidate) {
        String a = typed.replaceFirst("^-+", "");
        String b = candidate.replaceFirst("^-+", "");
        return EditDistance.between(a, b) <= Math.max(1, Math.max(a.length(), b.length()) / 3);
    }

    /** The message of {@code t} on one line (or its type when it has none). */
    static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getName();
        } else if (!isUserError(t)) {
            m = t.getClass().getName() + ": " + m;
        }
        return m.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    private static boolean debug() {
        String p = System.getProperty("flatminima.debug");
        String e = p != null ? p : System.getenv("FLATMINIMA_DEBUG");
        if (e == null) {
            return false;
        }
        String v = e.trim().toLowerCase(Locale.ROOT);
        return !(v.isEmpty() || v.equals("0") || v.equals("false") || v.equals("no"));
    }
}
