package org.flatminima.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import org.flatminima.experiments.reproduce.doc.DocTablesCommand;
import org.flatminima.experiments.sweep.rank.RankCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code flatminima} command. Each subcommand is one class listed in {@code subcommands}, or comes from a
 * {@link CommandProvider} on the class path (the {@code sweeps} module's {@code sweep}); errors follow
 * {@link ErrorHandling}.
 */
@Command(name = "flatminima",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        usageHelpAutoWidth = true,
        description = "Exact second-order automatic differentiation on the JVM, and the experiments of "
                + "'On Flat Minima, Large Margins and Generalizability'.",
        subcommands = {
                BackendsCommand.class,
                DataCommand.class,
                TrainCommand.class,
                AnalyzeCommand.class,
                ReproduceCommand.class,
                RankCommand.class,
                DocTablesCommand.class,
                CommandLine.HelpCommand.class,
        },
        footer = {
                "",
                "Environment:",
                "  FLATMINIMA_BACKEND=NAME  force a backend: native, vector or scalar",
                "                           (the same as -Dflatminima.backend=NAME)",
                "  FLATMINIMA_DEBUG=1       print stack traces for user errors too",
                "",
                "Exit statuses:",
                "  0  success",
                "  1  an environment error: one line naming the path and the system's reason (no space left,",
                "     permission denied, read-only file system, a missing directory, a directory or device",
                "     where a file is expected); or a bug: a line saying so and a stack trace",
                "  2  a user error: a bad option, file, spec or value (one line naming the fix)",
                "  3  doc-tables --check: a generated table differs from its result files",
                "  130, 143  stopped by SIGINT (Ctrl-C) or SIGTERM: train stops at a step boundary after a",
                "     checkpoint (docs/runs.md)",
        })
public final class Main implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Without a subcommand there is nothing to do: a user error. */
    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand");
    }

    /** Runs the command line and exits the JVM with its status. */
    public static void main(String[] args) {
        configureLogging();
        int status;
        try {
            status = commandLine().execute(args);
        } catch (Throwable t) {
            // Errors (not Exceptions) pass through picocli's handlers.
            status = ErrorHandling.handle(t, new PrintWriter(System.err, true));
        }
        System.out.flush();
        System.exit(status);
    }

    /** A fresh {@code flatminima} command line with the error convention installed. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (CommandProvider p : ServiceLoader.load(CommandProvider.class)) {
            p.commands().forEach(cl::addSubcommand);
        }
        ErrorHandling.install(cl);
        return cl;
    }

    /** Log records (e.g. a backend fallback) print as one plain line, unless the user configured JUL. */
    private static void configureLogging() {
        String key = "java.util.logging.SimpleFormatter.format";
        if (System.getProperty(key) == null) {
            System.setProperty(key, "%5$s%6$s%n");
        }
    }

    /** {@code --version}: the project version (from the build) and the running JVM. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {
                "flatminima " + projectVersion(),
                "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + "), "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch"),
            };
        }

        /** The Maven project version, or "unknown" when the filtered resource is missing. */
        static String projectVersion() {
            try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    return "unknown";
                }
                Properties p = new Properties();
                p.load(in);
                return p.getProperty("version", "unknown");
            } catch (IOException e) {
                return "unknown";
            }
        }
    }
}
