package org.flatminima.kernels.ffm;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The extraction of the bundled OpenBLAS, on a small jar of stand-in files (random bytes under the real resource
 * names) so that corruption, re-extraction and races are quick to provoke; one test extracts the real jar.
 * Extracted files are compared byte for byte with the resources, independently of the loader's checksums.
 */
class BundledOpenBlasTest {

    private static final String PLATFORM = "linux-x86_64";

    @TempDir
    Path tmp;

    /** A jar holding the four files (random content) under the platform's resource folder, and its contents. */
    private record FakeJar(URLClassLoader loader, Map<String, byte[]> content) {
    }

    private FakeJar fakeJar(long seed) throws IOException {
        Path jar = tmp.resolve("openblas-" + seed + ".jar");
        Map<String, byte[]> content = new HashMap<>();
        Random rnd = new Random(seed);
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String f : BundledOpenBlas.LINUX_FILES) {
                byte[] b = new byte[1000 + rnd.nextInt(200_000)];
                rnd.nextBytes(b);
                content.put(f, b);
                out.putNextEntry(new JarEntry(BundledOpenBlas.resourceDir(PLATFORM) + f));
                out.write(b);
                out.closeEntry();
            }
        }
        return new FakeJar(new URLClassLoader(new URL[] {jar.toUri().toURL()}, null), content);
    }

    private static void assertHolds(Path dir, Map<String, byte[]> content) throws IOException {
        for (String f : BundledOpenBlas.LINUX_FILES) {
            assertThat(Files.readAllBytes(dir.resolve(f))).as(f).isEqualTo(content.get(f));
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()))
                    .as("no temporary file left behind")
                    .allMatch(n -> !n.endsWith(".part"));
        }
    }

    @Test
    void extractsEveryFileIntoAnEmptyDirectory() throws IOException {
        FakeJar jar = fakeJar(1);
        Path dir = tmp.resolve("cache/a/b");
        Path lib = BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
        assertThat(lib).isEqualTo(dir.resolve("libopenblas.so.0"));
        assertHolds(dir, jar.content());
        assertThat(Files.readString(dir.resolve(BundledOpenBlas.CHECKSUMS)))
                .contains(BundledOpenBlas.sha256(dir.resolve("libgfortran.so.5")));
    }

    /** A corrupted file (same size, one byte flipped) is rewritten; intact ones are left alone (same inode). */
    @Test
    void rewritesACorruptedFileAndKeepsTheOthers() throws IOException {
        FakeJar jar = fakeJar(2);
        Path dir = tmp.resolve("cache");
        BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
        Object intactKey = Files.readAttributes(dir.resolve("libquadmath.so.0"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey();
        Path victim = dir.resolve("libopenblas.so.0");
        byte[] bad = Files.readAllBytes(victim);
        bad[bad.length / 2] ^= 1;
        Files.write(victim, bad);

        BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
        assertHolds(dir, jar.content());
        assertThat(Files.readAttributes(dir.resolve("libquadmath.so.0"),
                java.nio.file.attribute.BasicFileAttributes.class).fileKey()).isEqualTo(intactKey);
    }

    /** A checksum file that lies (or is garbage) does not make a corrupted file pass: the content is hashed. */
    @Test
    void aDamagedChecksumFileIsRebuilt() throws IOException {
        FakeJar jar = fakeJar(3);
        Path dir = tmp.resolve("cache");
        BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
        Files.writeString(dir.resolve(BundledOpenBlas.CHECKSUMS), "libgcc_s.so.1 1:2 abc\nnonsense\n");
        Files.write(dir.resolve("libgcc_s.so.1"), new byte[] {1, 2, 3});
        BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
        assertHolds(dir, jar.content());
        assertThat(Files.readString(dir.resolve(BundledOpenBlas.CHECKSUMS)))
                .doesNotContain("nonsense").contains(BundledOpenBlas.sha256(dir.resolve("libgcc_s.so.1")));
    }

    /** A newer jar with other contents, extracted into the same directory, replaces every file. */
    @Test
    void anotherJarReplacesTheCachedFiles() throws IOException {
        Path dir = tmp.resolve("cache");
        BundledOpenBlas.extract(fakeJar(4).loader(), PLATFORM, dir);
        FakeJar other = fakeJar(5);
        BundledOpenBlas.extract(other.loader(), PLATFORM, dir);
        assertHolds(dir, other.content());
    }

    /** Eight threads extracting into one empty directory at once all succeed and leave the exact files. */
    @Test
    void concurrentExtractionsInOneProcessAgree() throws Exception {
        FakeJar jar = fakeJar(6);
        Path dir = tmp.resolve("cache");
        int n = 8;
        CyclicBarrier start = new CyclicBarrier(n);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                results.add(pool.submit(() -> {
                    start.await();
                    return BundledOpenBlas.extract(jar.loader(), PLATFORM, dir);
                }));
            }
            for (Future<Path> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(dir.resolve("libopenblas.so.0"));
            }
        } finally {
            pool.shutdownNow();
        }
        assertHolds(dir, jar.content());
    }

    /**
     * Two JVMs extracting the real bundled jar into one empty directory at once both succeed and leave files
     * equal to the resources; then the library loads from there and runs a GEMM (in {@link #main}).
     */
    @Test
    void twoProcessesExtractTheRealLibraryAtOnce() throws Exception {
        ClassLoader loader = getClass().getClassLoader();
        org.junit.jupiter.api.Assumptions.assumeTrue(BundledOpenBlas.missing(loader, PLATFORM) == null,
                () -> BundledOpenBlas.missing(loader, PLATFORM));
        Path dir = tmp.resolve("real");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> ps = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            ps.add(new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED",
                    "-cp", System.getProperty("java.class.path"), BundledOpenBlasTest.class.getName(), dir.toString())
                    .redirectErrorStream(true).start());
        }
        for (Process p : ps) {
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("c = 11.0");
        }
        for (String f : BundledOpenBlas.LINUX_FILES) {
            try (InputStream in = loader.getResourceAsStream(BundledOpenBlas.resourceDir(PLATFORM) + f)) {
                assertThat(Files.readAllBytes(dir.resolve(f))).as(f).isEqualTo(in.readAllBytes());
            }
        }
    }

    /** Extracts the real library into args[0], loads it by path and computes [1 2] . [3 4]^T with cblas_dgemm. */
    public static void main(String[] args) throws Throwable {
        if (args[0].equals("--fallback")) { // extract() as a user's run does; the cache made unwritable by the caller
            Path lib = BundledOpenBlas.extract();
            System.out.println("lib = " + lib);
            try (var files = Files.list(lib.getParent())) {
                System.out.println("files = " + files.map(f -> f.getFileName().toString()).sorted().toList());
            }
            return;
        }
        Path lib = BundledOpenBlas.extract(BundledOpenBlasTest.class.getClassLoader(), PLATFORM, Path.of(args[0]));
        var lookup = java.lang.foreign.SymbolLookup.libraryLookup(lib, java.lang.foreign.Arena.global());
        var I = java.lang.foreign.ValueLayout.JAVA_INT;
        var D = java.lang.foreign.ValueLayout.JAVA_DOUBLE;
        var A = java.lang.foreign.ValueLayout.ADDRESS;
        var dgemm = java.lang.foreign.Linker.nativeLinker().downcallHandle(lookup.find("cblas_dgemm").orElseThrow(),
                java.lang.foreign.FunctionDescriptor.ofVoid(I, I, I, I, I, I, D, A, I, A, I, D, A, I));
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var a = arena.allocateFrom(D, 1, 2);
            var b = arena.allocateFrom(D, 3, 4);
            var c = arena.allocate(D);
            dgemm.invoke(OpenBlas.ROW_MAJOR, OpenBlas.NO_TRANS, OpenBlas.NO_TRANS, 1, 1, 2, 1.0, a, 2, b, 1, 0.0, c, 1);
            System.out.println("c = " + c.get(D, 0));
        }
    }

    /**
     * With the cache unwritable, a JVM extracts into a temporary directory of its own (in {@link #main} with
     * {@code --fallback}: the library and what else it wrote there, while it runs) and leaves nothing behind at exit.
     */
    @Test
    void fallsBackToATemporaryDirectoryWhenTheCacheCannotBeWrittenAndRemovesIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(
                BundledOpenBlas.missing(getClass().getClassLoader(), BundledOpenBlas.platform()) == null);
        Path blocker = tmp.resolve("not-a-dir");
        Files.writeString(blocker, "x");
        Path tmpdir = Files.createDirectory(tmp.resolve("tmpdir"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Djava.io.tmpdir=" + tmpdir,
                "-D" + BundledOpenBlas.CACHE_PROPERTY + "=" + blocker.resolve("cache"),
                "-cp", System.getProperty("java.class.path"), BundledOpenBlasTest.class.getName(), "--fallback")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("cannot write the OpenBLAS cache")
                .contains("lib = " + tmpdir.resolve("flatminima-openblas-"));
        List<String> wrote = new ArrayList<>(BundledOpenBlas.LINUX_FILES);
        wrote.add(BundledOpenBlas.CHECKSUMS);
        assertThat(out).as("the files while it ran").contains("files = " + wrote.stream().sorted().toList());
        try (var left = Files.list(tmpdir)) {
            assertThat(left).as("left behind after exit").isEmpty();
        }
    }

    @Test
    void missingResourcesNameTheArtifact() throws IOException {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertThat(BundledOpenBlas.missing(empty, PLATFORM))
                    .startsWith("the bundled OpenBLAS for linux-x86_64 is not on the class path")
                    .contains("add org.bytedeco:openblas:unknown:linux-x86_64");
        }
        assertThat(BundledOpenBlas.missing(fakeJar(7).loader(), PLATFORM)).isNull();
        assertThat(BundledOpenBlas.missing(getClass().getClassLoader(), "macosx-arm64")).contains("macosx-arm64");
    }

    @Test
    void platformNames() {
        assertThat(BundledOpenBlas.platform("Linux", "amd64")).isEqualTo("linux-x86_64");
        assertThat(BundledOpenBlas.platform("Linux", "aarch64")).isEqualTo("linux-arm64");
        assertThat(BundledOpenBlas.platform("Mac OS X", "aarch64")).isEqualTo("macosx-arm64");
        assertThat(BundledOpenBlas.platform("Windows 11", "amd64")).isEqualTo("windows-x86_64");
        assertThat(BundledOpenBlas.platform("Linux", "riscv64")).isNull();
        assertThat(BundledOpenBlas.platform("FreeBSD", "amd64")).isNull();
    }

    @Test
    void cacheDirectoryFollowsXdgAndTheProperty() {
        String v = "0.3.31-1.5.13";
        assertThat(BundledOpenBlas.cacheDir(null, "/x/cache", "/home/u", v, PLATFORM))
                .isEqualTo(Path.of("/x/cache/flatminima/openblas-0.3.31-1.5.13-linux-x86_64"));
        assertThat(BundledOpenBlas.cacheDir(null, null, "/home/u", v, PLATFORM))
                .isEqualTo(Path.of("/home/u/.cache/flatminima/openblas-0.3.31-1.5.13-linux-x86_64"));
        assertThat(BundledOpenBlas.cacheDir(" ", "relative/ignored", "/home/u", v, PLATFORM))
                .isEqualTo(Path.of("/home/u/.cache/flatminima/openblas-0.3.31-1.5.13-linux-x86_64"));
        assertThat(BundledOpenBlas.cacheDir("/opt/blas", "/x/cache", "/home/u", v, PLATFORM))
                .isEqualTo(Path.of("/opt/blas"));
    }

    @Test
    void theVersionComesFromTheJarsMavenMetadata() {
        ClassLoader loader = getClass().getClassLoader();
        org.junit.jupiter.api.Assumptions.assumeTrue(BundledOpenBlas.missing(loader, PLATFORM) == null);
        assertThat(BundledOpenBlas.version(loader)).isEqualTo("0.3.31-1.5.13");
    }
}
