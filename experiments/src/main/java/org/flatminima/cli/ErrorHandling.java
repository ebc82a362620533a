package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import java.io.PrintWriter;
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
 *   <li>Anything else is a bug: a short line, then the stack trace, exit {@value #EXIT_BUG}.</li>
 *   <li>{@code FLATMINIMA_DEBUG=1} (or {@code -Dflatminima.debug=true}) adds the stack trace to user errors.</li>
 * </ul>
 */
public final class ErrorHandling {

    /** Exit status of an unexpected error (a bug). */
    public static final int EXIT_BUG = 1;
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
        err.println(PREFIX + "unexpected error (a bug; please report it with the trace below): " + oneLine(t));
        t.printStackTrace(err);
        err.flush();
        return EXIT_BUG;
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
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int subst = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(subst, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()] <= Math.max(1, Math.max(a.length(), b.length()) / 3);
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
