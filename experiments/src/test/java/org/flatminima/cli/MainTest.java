package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class MainTest {

    /** A subcommand that fails the way it is told to, to exercise the error convention. */
    @Command(name = "fail")
    static final class Fail implements Callable<Integer> {
        @Option(names = "--with", required = true)
        String with;

        @Override
        public Integer call() throws Exception {
            switch (with) {
                case "user" -> throw new UserException("file 'x.idx' not found: download it with 'flatminima data'");
                case "iae" -> throw new IllegalArgumentException("bad model spec 'mlp:x'\nuse mlp:784-10");
                case "npe" -> throw new NullPointerException("boom");
                case "checked" -> throw new java.io.IOException("disk on fire");
                case "enospc" -> throw new java.io.UncheckedIOException(new java.nio.file.FileSystemException(
                        "/data/out/result.json", null, "No space left on device"));
                case "enospc-no-path" -> throw new java.io.IOException("No space left on device");
                case "eacces" -> throw new java.nio.file.AccessDeniedException("/root/x.json");
                case "erofs" -> throw new java.nio.file.FileSystemException("/mnt/ro/x", null, "Read-only file system");
                case "exists" -> throw new java.nio.file.FileAlreadyExistsException("/dev/null");
                case "nodir" -> throw new java.nio.file.NoSuchFileException("/nowhere/x.json");
                default -> {
                    return 0;
                }
            }
        }
    }

    private static CliRun runFail(String kind) {
        CommandLine cl = Main.commandLine();
        cl.addSubcommand("fail", new Fail());
        return CliRun.of(cl, "fail", "--with", kind);
    }

    private static void assertOneLineUserError(CliRun r, String containing) {
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: ").contains(containing);
        assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void helpListsTheSubcommandsAndExitsZero() {
        CliRun r = CliRun.main("--help");
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("Usage: flatminima", "backends", "--version", "Exit status");
        assertThat(r.err()).isEmpty();
    }

    @Test
    void versionNamesTheProjectVersionAndTheJvm() {
        CliRun r = CliRun.main("--version");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("flatminima ").contains("Java " + Runtime.version().feature());
        assertThat(r.out()).doesNotContain("${project.version}").doesNotContain("unknown");
    }

    @Test
    void unknownSubcommandIsOneLineAndStatusTwo() {
        CliRun r = CliRun.main("nonsense");
        assertOneLineUserError(r, "'nonsense'");
        assertThat(r.err()).doesNotContain("did you mean");
    }

    @Test
    void nearMissSuggestsTheSubcommand() {
        CliRun r = CliRun.main("backend");
        assertOneLineUserError(r, "did you mean 'backends'?");
    }

    @Test
    void missingSubcommandIsAUserError() {
        assertOneLineUserError(CliRun.main(), "missing subcommand");
    }

    @Test
    void badOptionValueOfASubcommandIsOneLine() {
        CliRun r = CliRun.main("backends", "--size", "abc");
        assertOneLineUserError(r, "--size");
        assertThat(r.err()).contains("flatminima backends --help");
    }

    @Test
    void userExceptionIsOneLineWithoutTrace() {
        assertOneLineUserError(runFail("user"), "file 'x.idx' not found");
    }

    @Test
    void illegalArgumentIsAUserErrorAndItsMessageStaysOnOneLine() {
        CliRun r = runFail("iae");
        assertOneLineUserError(r, "bad model spec 'mlp:x'; use mlp:784-10");
    }

    @Test
    void unexpectedExceptionPrintsTheTraceAndExitsOne() {
        CliRun r = runFail("npe");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.errLines().getFirst()).startsWith("flatminima: unexpected error")
                .contains("java.lang.NullPointerException: boom");
        assertThat(r.err()).contains("\tat org.flatminima.cli.MainTest$Fail.call");
    }

    @Test
    void checkedExceptionIsUnexpectedToo() {
        CliRun r = runFail("checked");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("java.io.IOException: disk on fire").contains("\tat ");
    }

    @Test
    void handleCoversErrorsThatEscapePicocli() {
        java.io.StringWriter sw = new java.io.StringWriter();
        int status = ErrorHandling.handle(new StackOverflowError(), new java.io.PrintWriter(sw));
        assertThat(status).isEqualTo(1);
        assertThat(sw.toString()).startsWith("flatminima: unexpected error").contains("StackOverflowError");
    }

    @Test
    void closeAcceptsTyposAndRejectsUnrelatedWords() {
        assertThat(ErrorHandling.close("backend", "backends")).isTrue();
        assertThat(ErrorHandling.close("--thread", "--threads")).isTrue();
        assertThat(ErrorHandling.close("nonsense", "backends")).isFalse();
        assertThat(ErrorHandling.close("x", "help")).isFalse();
    }

    private static void assertOneLineEnvironmentError(CliRun r, String line) {
        assertThat(r.status()).isEqualTo(ErrorHandling.EXIT_ENVIRONMENT).isEqualTo(1);
        assertThat(r.errLines()).containsExactly(line);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void environmentErrorsAreOneLineNamingThePathTheReasonAndTheFixWithStatusOne() {
        assertOneLineEnvironmentError(runFail("enospc"), "flatminima: /data/out/result.json: No space left on device "
                + "(free some space there or write elsewhere)");
        assertOneLineEnvironmentError(runFail("enospc-no-path"), "flatminima: No space left on device "
                + "(free some space there or write elsewhere)");
        assertOneLineEnvironmentError(runFail("eacces"), "flatminima: /root/x.json: Permission denied "
                + "(check the permissions of the path and its directory, or choose another path)");
        assertOneLineEnvironmentError(runFail("erofs"), "flatminima: /mnt/ro/x: Read-only file system "
                + "(write to a writable location)");
        assertOneLineEnvironmentError(runFail("exists"), "flatminima: /dev/null: File exists (and is not a "
                + "directory) (a directory is needed there: choose another path)");
        assertOneLineEnvironmentError(runFail("nodir"), "flatminima: /nowhere/x.json: No such file or directory "
                + "(check the path; create its directory first)");
    }

    @Test
    void helpDocumentsTheExitStatuses() {
        assertThat(CliRun.main("--help").out()).contains("Exit statuses:", "1  an environment error", "2  a user error");
    }
}
