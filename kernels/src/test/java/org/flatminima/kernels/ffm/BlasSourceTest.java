package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code -Dflatminima.blas=bundled|system|mkl|PATH}: the parsing, and what each setting loads, each in a fresh JVM
 * (OpenBLAS is loaded once per process) that prints {@link OpenBlas#describe()} through {@link #main}.
 */
class BlasSourceTest {

    @Test
    void parsesTheFourKindsOfSetting() {
        assertThat(BlasSource.parse("bundled", "-Dflatminima.blas"))
                .isEqualTo(new BlasSource(BlasSource.Kind.BUNDLED, null, "-Dflatminima.blas=bundled"));
        assertThat(BlasSource.parse(" System ", "FLATMINIMA_BLAS"))
                .isEqualTo(new BlasSource(BlasSource.Kind.SYSTEM, null, "FLATMINIMA_BLAS=System"));
        assertThat(BlasSource.parse("MKL", "FLATMINIMA_BLAS"))
                .isEqualTo(new BlasSource(BlasSource.Kind.MKL, null, "FLATMINIMA_BLAS=MKL"));
        BlasSource p = BlasSource.parse("/opt/blas/../lib/libopenblas.so", "-Dflatminima.blas");
        assertThat(p.kind()).isEqualTo(BlasSource.Kind.PATH);
        assertThat(p.path()).isEqualTo(Path.of("/opt/lib/libopenblas.so"));
        assertThat(BlasSource.parse("./libopenblas.so.0", "-Dflatminima.blas").path())
                .isEqualTo(Path.of("libopenblas.so.0").toAbsolutePath());
        assertThat(BlasSource.parse("  ", "-Dflatminima.blas")).isEqualTo(BlasSource.DEFAULT);
        assertThat(BlasSource.parse(null, "-Dflatminima.blas").kind()).isEqualTo(BlasSource.Kind.BUNDLED);
    }

    @Test
    void aBadValueIsAOneLineErrorNamingTheChoices() {
        for (String bad : List.of("bundle", "openblas", "libopenblas.so.0")) {
            assertThatThrownBy(() -> BlasSource.parse(bad, "-Dflatminima.blas"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("unknown -Dflatminima.blas=" + bad + ": use bundled, system, mkl or the path of a "
                            + "library, e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0");
        }
    }

    // ------------------------------------------------------------------ in a fresh JVM

    /** Prints what loaded, or why nothing did. */
    public static void main(String[] args) {
        System.out.println(OpenBlas.unavailableReason() == null ? "loaded: " + OpenBlas.describe()
                : "unavailable: " + OpenBlas.unavailableReason());
    }

    private static ForkedJvm.Run run(String blasSetting, boolean withBundledJar, String... jvmOptions) throws Exception {
        String cp = System.getProperty("java.class.path");
        if (!withBundledJar) {
            cp = Arrays.stream(cp.split(File.pathSeparator))
                    .filter(e -> !Path.of(e).getFileName().toString().startsWith("openblas-"))
                    .collect(Collectors.joining(File.pathSeparator));
        }
        List<String> options = new ArrayList<>();
        if (blasSetting != null) {
            options.add("-D" + BlasSource.PROPERTY + "=" + blasSetting);
        }
        options.addAll(List.of(jvmOptions));
        return ForkedJvm.run(cp, options, BlasSourceTest.class);
    }

    private static boolean bundledHere() {
        return BundledOpenBlas.missing(BlasSourceTest.class.getClassLoader(), BundledOpenBlas.platform()) == null;
    }

    /** A path loads that file: here, the bundled library's extracted copy. */
    @Test
    void aPathLoadsThatFile() throws Exception {
        Assumptions.assumeTrue(bundledHere(), "needs the bundled jar to have a library file to point at");
        Path lib = BundledOpenBlas.extract();
        ForkedJvm.Run r = run(lib.toString(), true);
        assertThat(r.out()).startsWith("loaded: OpenBLAS 0.3.31").endsWith(", path: " + lib.toRealPath());
    }

    @Test
    void aMissingPathOrABadValueMakesNativeUnavailableWithTheReason() throws Exception {
        ForkedJvm.Run missing = run("/nonexistent/libopenblas.so", true);
        assertThat(missing.out()).isEqualTo("unavailable: -Dflatminima.blas=/nonexistent/libopenblas.so: no such file: "
                + "give the path of a BLAS library (OpenBLAS, or oneMKL's libmkl_rt), or use bundled, system or mkl");
        ForkedJvm.Run bad = run("openblas", true);
        assertThat(bad.out()).isEqualTo("unavailable: unknown -Dflatminima.blas=openblas: use bundled, system, mkl or "
                + "the path of a library, e.g. /usr/lib/x86_64-linux-gnu/libopenblas.so.0");
    }

    /**
     * {@code mkl} without oneMKL's jar on the class path or in the local Maven repository makes the native backend
     * unavailable with one line naming the jar and how to fetch it (the mkl module's tests load it).
     */
    @Test
    void mklWithoutItsJarSaysHowToFetchIt(@org.junit.jupiter.api.io.TempDir Path emptyRepository) throws Exception {
        Assumptions.assumeTrue(BundledMkl.PLATFORM.equals(BundledOpenBlas.platform()), "oneMKL is wired up for linux-x86_64");
        ForkedJvm.Run r = run("mkl", true, "-Dmaven.repo.local=" + emptyRepository);
        assertThat(r.out()).isEqualTo("unavailable: -Dflatminima.blas=mkl: Intel oneMKL (org.bytedeco:mkl:"
                + BundledMkl.VERSION + ":linux-x86_64-redist) is neither on the class path nor at "
                + BundledMkl.repositoryJar(emptyRepository) + ": fetch it with mvn -pl mkl -am install -DskipTests");
    }

    /** {@code system} never touches the bundled copy: it loads the dynamic linker's OpenBLAS or says how to get one. */
    @Test
    void systemUsesTheDynamicLinker() throws Exception {
        ForkedJvm.Run r = run("system", true);
        if (r.out().startsWith("loaded: ")) {
            assertThat(r.out()).contains(", system: /");
        } else {
            assertThat(r.out()).isEqualTo("unavailable: system OpenBLAS not found (tried libopenblas.so.0, "
                    + "libblas.so.3): install it (apt-get install libopenblas0-pthread) or use the bundled one "
                    + "(-Dflatminima.blas=bundled)");
        }
    }

    /** Without the platform jar the default falls back to the system library, with one log line saying so. */
    @Test
    void withoutTheBundledJarTheSystemLibraryIsTriedWithOneLogLine() throws Exception {
        ForkedJvm.Run r = run(null, false);
        String why = "the bundled OpenBLAS for " + BundledOpenBlas.platform() + " is not on the class path";
        assertThat(r.err().lines().filter(l -> l.contains("flatminima:")).toList())
                .singleElement().asString().contains(why).endsWith(": trying the system OpenBLAS");
        if (r.out().startsWith("loaded: ")) {
            assertThat(r.out()).contains(", system: /");
        } else {
            assertThat(r.out()).startsWith("unavailable: " + why)
                    .endsWith("system OpenBLAS not found (tried libopenblas.so.0, libblas.so.3): install it "
                            + "(apt-get install libopenblas0-pthread)");
        }
    }

    @Test
    void theDefaultIsBundled() throws Exception {
        Assumptions.assumeTrue(bundledHere());
        ForkedJvm.Run r = run(null, true);
        assertThat(r.out()).startsWith("loaded: OpenBLAS 0.3.31, corename ").contains(", bundled: /");
        assertThat(Files.isRegularFile(Path.of(r.out().substring(r.out().indexOf(", bundled: ") + 11)))).isTrue();
    }
}
