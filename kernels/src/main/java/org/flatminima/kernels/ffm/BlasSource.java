package org.flatminima.kernels.ffm;

import java.nio.file.Path;
import java.util.Locale;

/**
 * Which BLAS the native backend loads, as the system property {@value #PROPERTY} or the environment
 * variable {@value #ENV} says (the property wins): {@code bundled} (the default: the OpenBLAS shipped in the
 * {@code org.bytedeco:openblas} platform jar, see {@link BundledOpenBlas}), {@code system} (the dynamic
 * linker's {@code libopenblas.so.0}, then {@code libblas.so.3}), {@code mkl} (Intel oneMKL from bytedeco's
 * redistributable jar, see {@link BundledMkl}) or the path of a library file (OpenBLAS, or oneMKL's
 * {@code libmkl_rt}).
 *
 * @param kind what to load
 * @param path the library file when {@code kind} is {@link Kind#PATH}, else null
 * @param setting how it was chosen, e.g. {@code "-Dflatminima.blas=system"}, or {@code "default"}
 */
public record BlasSource(Kind kind, Path path, String setting) {

    /** The system property that chooses the BLAS library. */
    public static final String PROPERTY = "flatminima.blas";
    /** The environment variable that chooses the BLAS library when the property is not set. */
    public static final String ENV = "FLATMINIMA_BLAS";

    /** Where the library comes from. */
    public enum Kind {
        /** Extracted from the platform jar on the class path. */
        BUNDLED,
        /** Found by the dynamic linker. */
        SYSTEM,
        /** Intel oneMKL, extracted from its redistributable jar ({@link BundledMkl}). */
        MKL,
        /** A file named by the user. */
        PATH;

        /** "bundled", "system", "mkl" or "path". */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The default: the bundled library. */
    static final BlasSource DEFAULT = new BlasSource(Kind.BUNDLED, null, "default");

    /** The source chosen by {@value #PROPERTY} or {@value #ENV}; bad values throw (see {@link #parse}). */
    public static BlasSource configured() {
        String p = System.getProperty(PROPERTY);
        if (p != null && !p.isBlank()) {
            return parse(p, "-D" + PROPERTY);
        }
        String e = System.getenv(ENV);
        if (e != null && !e.isBlank()) {
            return parse(e, ENV);
        }
        return DEFAULT;
    }

    /**
     * Parses one setting: {@code bundled}, {@code system} or {@code mkl} (any case), or a path, which must contain a
     * {@code /} (a bare file name such as {@code libopenblas.so} is rejected: the dynamic linker's search is
     * what {@code system} means). A blank value is the default.
     *
     * @param value the setting's value
     * @param origin where it came from, for messages: {@code "-Dflatminima.blas"} or {@code "FLATMINIMA_BLAS"}
     * @throws IllegalArgumentException (one line naming the fix) for any other value
     */
    public static BlasSource parse(String value, String origin) {
        if (value == null || value.isBlank()) {
            return DEFAULT;
        }
        String v = value.trim();
        String setting = origin + "=" + v;
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "bundled" -> new BlasSource(Kind.BUNDLED, null, setting);
            case "system" -> new BlasSource(Kind.SYSTEM, null, setting);
            case "mkl" -> new BlasSource(Kind.MKL, null, setting);
            default -> {
                if (!v.contains("/")) {
                    throw new IllegalArgumentException("unknown " + setting
                            + ": use bundled, system, mkl or the path of a library, e.g. "
                            + "/usr/lib/x86_64-linux-gnu/libopenblas.so.0");
                }
                yield new BlasSource(Kind.PATH, Path.of(v).toAbsolutePath().normalize(), setting);
            }
        };
    }
}
