package org.flatminima.examples;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs an example's main and returns what it printed. */
final class Stdout {
    private Stdout() {
    }

    interface Main {
        void run() throws Exception;
    }

    static synchronized String of(Main main) throws Exception {
        PrintStream old = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            main.run();
        } finally {
            System.setOut(old);
        }
        String out = bytes.toString(StandardCharsets.UTF_8);
        old.print(out);
        return out;
    }
}
