package org.flatminima.sweeps;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.flatminima.cli.Main;
import picocli.CommandLine;

/** The {@code flatminima} command line run in this JVM (with the sweeps module's commands): status and output. */
record Cli(int status, String out, String err) {

    static Cli run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int status = cl.execute(args);
        return new Cli(status, out.toString(), err.toString());
    }

    /** The lines of stderr that are not blank. */
    List<String> errLines() {
        return err.lines().filter(l -> !l.isBlank()).toList();
    }
}
