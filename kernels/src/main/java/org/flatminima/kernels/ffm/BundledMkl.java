package org.flatminima.kernels.ffm;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Intel oneMKL from bytedeco's redistributable jar ({@code org.bytedeco:mkl:}{@value #VERSION}{@code
 * :linux-x86_64-redist}, 160 MB), the BLAS that {@code -Dflatminima.blas=mkl} (or {@code FLATMINIMA_BLAS=mkl})
 * chooses instead of the bundled OpenBLAS. Only its shared libraries are used, through FFM; no JavaCPP class is
 * involved.
 *
 * <p>The jar is not a dependency of this module (it is large, and Intel's libraries run their AVX-512 kernels on
 * Intel CPUs only). It is taken from the class path when there, else from the local Maven repository, where
 * building the {@code mkl} module puts it ({@code mvn -pl mkl -am install -DskipTests}). Its libraries
 * ({@link #FILES}: the single dynamic library, the LP64 interface, the core, the Intel threading layer with its
 * OpenMP runtime, and the kernels for each x86-64 level) are extracted like the bundled OpenBLAS
 * ({@link BundledOpenBlas#extract(ClassLoader, String, List, Path)}: checksummed, written atomically) into
 * {@code <cache>/flatminima/mkl-<version>-linux-x86_64/}, about 350 MB.
 */
public final class BundledMkl {

    /** The version of {@code org.bytedeco:mkl} looked for in the local Maven repository (the mkl module's). */
    public static final String VERSION = "2025.3-1.5.13";

    /** The one platform wired up. */
    static final String PLATFORM = "linux-x86_64";

    /** The class-path folder of the libraries. */
    static final String RESOURCE_DIR = "org/bytedeco/mkl/" + PLATFORM + "/";

    /**
     * The files extracted, the library to open first. {@code libmkl_rt} loads the others from its own folder:
     * the interface and threading layers, the core and the kernels for the CPU it runs on.
     */
    public static final List<String> FILES = List.of("libmkl_rt.so.2", "libmkl_intel_lp64.so.2", "libmkl_core.so.2",
            "libmkl_intel_thread.so.2", "libiomp5.so", "libmkl_avx512.so.2", "libmkl_avx2.so.2", "libmkl_mc3.so.2",
            "libmkl_def.so.2");

    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/mkl/pom.properties";

    private BundledMkl() {
    }

    /** The jar in a local Maven repository ({@code <repository>/org/bytedeco/mkl/<version>/...-redist.jar}). */
    static Path repositoryJar(Path repository) {
        return repository.resolve("org/bytedeco/mkl").resolve(VERSION)
                .resolve("mkl-" + VERSION + "-" + PLATFORM + "-redist.jar");
    }

    /** The local Maven repository: {@code -Dmaven.repo.local} when set, else {@code ~/.m2/repository}. */
    static Path localRepository() {
        String p = System.getProperty("maven.repo.local");
        return p != null && !p.isBlank() ? Path.of(p.trim())
                : Path.of(System.getProperty("user.home"), ".m2", "repository");
    }

    /**
     * A class loader that holds the libraries: {@code loader} when they are on its class path, else one over the
     * jar in {@code repository}; null when neither has them.
     */
    static ClassLoader find(ClassLoader loader, Path repository) {
        if (loader.getResource(RESOURCE_DIR + FILES.get(0)) != null) {
            return loader;
        }
        Path jar = repositoryJar(repository);
        if (!Files.isRegularFile(jar)) {
            return null;
        }
        try {
            return new URLClassLoader(new URL[] {jar.toUri().toURL()}, null);
        } catch (MalformedURLException e) {
            return null;
        }
    }

    /**
     * Why oneMKL cannot be used here (one line naming the fix), or null: {@code loader} from {@link #find};
     * {@code setting} how it was asked for, e.g. {@code FLATMINIMA_BLAS=mkl}.
     */
    static String missing(ClassLoader loader, String platform, Path repository, String setting) {
        if (!PLATFORM.equals(platform)) {
            return setting + ": Intel oneMKL is wired up for " + PLATFORM + " only, not "
                    + platform + ": use bundled or system";
        }
        if (loader == null) {
            return setting + ": Intel oneMKL (org.bytedeco:mkl:" + VERSION + ":" + PLATFORM
                    + "-redist) is neither on the class path nor at " + repositoryJar(repository)
                    + ": fetch it with mvn -pl mkl -am install -DskipTests";
        }
        for (String f : FILES) {
            if (loader.getResource(RESOURCE_DIR + f) == null) {
                return setting + ": " + RESOURCE_DIR + f + " is missing from the oneMKL jar";
            }
        }
        return null;
    }

    /**
     * Extracts the libraries (found by {@link #find}) into {@code <cache>/flatminima/mkl-<version>-<platform>}
     * and returns the path of {@code libmkl_rt}.
     *
     * @param setting how oneMKL was asked for, for messages, e.g. {@code FLATMINIMA_BLAS=mkl}
     * @throws MissingException with the one-line reason (and its fix) when they are missing
     * @throws IOException when they cannot be written
     */
    static Path extract(String setting) throws IOException {
        Path repository = localRepository();
        ClassLoader loader = find(BundledMkl.class.getClassLoader(), repository);
        String missing = missing(loader, BundledOpenBlas.platform(), repository, setting);
        if (missing != null) {
            throw new MissingException(missing);
        }
        String version = BundledOpenBlas.version(loader, POM_PROPERTIES);
        String override = System.getProperty(BundledOpenBlas.CACHE_PROPERTY);
        Path dir = (override != null && !override.isBlank() ? Path.of(override.trim()).toAbsolutePath()
                : BundledOpenBlas.cacheBase(System.getenv("XDG_CACHE_HOME"), System.getProperty("user.home")))
                .resolve("mkl-" + version + "-" + PLATFORM);
        return BundledOpenBlas.extract(loader, RESOURCE_DIR, FILES, dir);
    }

    /** The libraries are not there: the message is the one-line reason with its fix. */
    static final class MissingException extends IOException {
        private static final long serialVersionUID = 1L;

        MissingException(String message) {
            super(message);
        }
    }
}
