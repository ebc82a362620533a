package org.flatminima.kernels.ffm;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The OpenBLAS shipped in bytedeco's platform jar ({@code org.bytedeco:openblas:<version>:<platform>}, a
 * dependency of this module): {@code libopenblas.so.0} and the runtime libraries it links against, which it
 * finds next to itself (its RUNPATH is {@code $ORIGIN}). Only those files are used, loaded through FFM; no
 * JavaCPP class is involved.
 *
 * <p>{@link #extract} copies them out of the class path into a cache directory, once per version and
 * platform: {@code $XDG_CACHE_HOME/flatminima/openblas-<version>-<platform>/} (else {@code ~/.cache/...}), or
 * the directory named by {@value #CACHE_PROPERTY}. A cached file is kept only when its SHA-256 equals that of
 * its resource; otherwise it is rewritten. Each file is written under a temporary name in the same directory,
 * forced to disk and renamed over the target in one step, so that concurrent processes (or threads) extracting
 * at once never see, or load, a partly written library. When the cache directory cannot be written, a fresh
 * temporary directory is used instead (deleted on exit). {@link BundledMkl} extracts Intel oneMKL the same way.
 */
public final class BundledOpenBlas {

    /** System property: the directory to extract the libraries into (instead of the versioned cache directory). */
    public static final String CACHE_PROPERTY = "flatminima.blas.cache";

    /** The library to open; the others are its dependencies. */
    public static final String LIBRARY = "libopenblas.so.0";

    /** The files extracted on Linux, {@link #LIBRARY} first. */
    public static final List<String> LINUX_FILES =
            List.of(LIBRARY, "libgfortran.so.5", "libquadmath.so.0", "libgcc_s.so.1");

    private static final String POM_PROPERTIES = "META-INF/maven/org.bytedeco/openblas/pom.properties";
    private static final System.Logger LOG = System.getLogger("flatminima.kernels");

    private BundledOpenBlas() {
    }

    /**
     * bytedeco's name of a platform ({@code linux-x86_64}, {@code linux-arm64}, {@code macosx-arm64}, ...), from
     * the {@code os.name} and {@code os.arch} properties, or null for a platform it has no build for.
     */
    public static String platform(String osName, String osArch) {
        String os = osName == null ? "" : osName.toLowerCase(Locale.ROOT);
        String arch = osArch == null ? "" : osArch.toLowerCase(Locale.ROOT);
        String o = os.startsWith("linux") ? "linux" : os.startsWith("mac") ? "macosx"
                : os.startsWith("windows") ? "windows" : null;
        String a = switch (arch) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm64";
            default -> null;
        };
        return o == null || a == null ? null : o + "-" + a;
    }

    /** This JVM's platform, or null (see {@link #platform(String, String)}). */
    public static String platform() {
        return platform(System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** The class-path folder holding a platform's libraries. */
    static String resourceDir(String platform) {
        return "org/bytedeco/openblas/" + platform + "/";
    }

    /**
     * Why the bundled library cannot be used on this platform with this class path (one line, naming the fix),
     * or null when every file is there.
     */
    public static String missing(ClassLoader loader, String platform) {
        if (platform == null) {
            return "no bundled OpenBLAS for " + System.getProperty("os.name") + " " + System.getProperty("os.arch");
        }
        if (!platform.startsWith("linux")) {
            return "no bundled OpenBLAS for " + platform + " yet (only Linux is wired up)";
        }
        for (String f : LINUX_FILES) {
            if (loader.getResource(resourceDir(platform) + f) == null) {
                return "the bundled OpenBLAS for " + platform + " is not on the class path (" + resourceDir(platform)
                        + f + " missing: add org.bytedeco:openblas:" + version(loader) + ":" + platform + ")";
            }
        }
        return null;
    }

    /** The bundled jar's version, e.g. {@code 0.3.31-1.5.13}, from its Maven metadata; "unknown" without it. */
    public static String version(ClassLoader loader) {
        return version(loader, POM_PROPERTIES);
    }

    /** A jar's version from the Maven metadata resource {@code pomProperties}; "unknown" without it. */
    static String version(ClassLoader loader, String pomProperties) {
        try (InputStream in = loader.getResourceAsStream(pomProperties)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank()) {
                    return v.trim();
                }
            }
        } catch (IOException e) {
            // fall through: the version only names the cache directory; the checksums guard its content
        }
        return "unknown";
    }

    /**
     * The directory the libraries are extracted into: {@value #CACHE_PROPERTY} when set, else
     * {@code <cache>/flatminima/openblas-<version>-<platform>} where {@code <cache>} is {@code xdgCacheHome} when
     * it is an absolute path (the XDG rule) and {@code <userHome>/.cache} otherwise. A pure function.
     */
    static Path cacheDir(String property, String xdgCacheHome, String userHome, String version, String platform) {
        if (property != null && !property.isBlank()) {
            return Path.of(property.trim()).toAbsolutePath();
        }
        return cacheBase(xdgCacheHome, userHome).resolve("openblas-" + version + "-" + platform);
    }

    /** {@code <cache>/flatminima}, {@code <cache>} as in {@link #cacheDir}. A pure function. */
    static Path cacheBase(String xdgCacheHome, String userHome) {
        Path base = xdgCacheHome != null && !xdgCacheHome.isBlank() && Path.of(xdgCacheHome).isAbsolute()
                ? Path.of(xdgCacheHome) : Path.of(userHome, ".cache");
        return base.resolve("flatminima");
    }

    /**
     * Extracts this platform's libraries into the cache directory (or, when that fails, into a temporary
     * directory, with one log line) and returns the path of {@link #LIBRARY}.
     *
     * @throws IOException when neither directory can be written
     */
    public static Path extract() throws IOException {
        ClassLoader loader = BundledOpenBlas.class.getClassLoader();
        String platform = platform();
        String version = version(loader);
        Path dir = cacheDir(System.getProperty(CACHE_PROPERTY), System.getenv("XDG_CACHE_HOME"),
                System.getProperty("user.home"), version, platform);
        try {
            return extract(loader, platform, dir);
        } catch (IOException e) {
            Path tmp = Files.createTempDirectory("flatminima-openblas-");
            tmp.toFile().deleteOnExit(); // registered first, so deleted after the files in it
            LOG.log(System.Logger.Level.WARNING, "flatminima: cannot write the OpenBLAS cache " + dir + " ("
                    + e + "): extracting into " + tmp + " for this run; set -D" + CACHE_PROPERTY
                    + "=DIR to a writable directory to keep it");
            for (String f : LINUX_FILES) {
                tmp.resolve(f).toFile().deleteOnExit();
            }
            tmp.resolve(CHECKSUMS).toFile().deleteOnExit();
            return extract(loader, platform, tmp);
        }
    }

    /**
     * Extracts a platform's libraries from {@code loader} into {@code dir} (created if needed) and returns the path
     * of {@link #LIBRARY}. A file already there is kept when its SHA-256 equals its resource's, and replaced
     * atomically otherwise. Safe to run concurrently on one directory from several threads or processes.
     *
     * <p>The resources' checksums are computed when they are extracted and kept in {@value #CHECKSUMS} with each
     * resource's identity in its jar (size and CRC-32 from the jar's directory, read without inflating), so that a
     * later start hashes only the cached files; a resource without that identity (not in a jar) is hashed each time.
     */
    static Path extract(ClassLoader loader, String platform, Path dir) throws IOException {
        return extract(loader, resourceDir(platform), LINUX_FILES, dir);
    }

    /**
     * As {@link #extract(ClassLoader, String, Path)} for any set of files in one class-path folder
     * ({@code resourceDir}, ending in {@code /}); returns the path of the first file. Also used for Intel oneMKL
     * ({@link BundledMkl}).
     */
    static Path extract(ClassLoader loader, String resourceDir, List<String> files, Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, String> known = readChecksums(dir.resolve(CHECKSUMS));
        Map<String, String> now = new LinkedHashMap<>();
        boolean wrote = false;
        for (String f : files) {
            String resource = resourceDir + f;
            String identity = identity(loader, resource);
            String recorded = known.get(f);
            String expected = !identity.equals("-") && recorded != null && recorded.startsWith(identity + " ")
                    ? recorded.substring(identity.length() + 1) : null;
            Path target = dir.resolve(f);
            if (Files.isRegularFile(target)) {
                if (expected == null) {
                    try (InputStream in = open(loader, resource)) {
                        expected = sha256(in, OutputStream.nullOutputStream());
                    }
                }
                if (expected.equals(sha256(target))) {
                    now.put(f, identity + " " + expected);
                    continue;
                }
            }
            now.put(f, identity + " " + write(dir, f + ".", target, out -> {
                try (InputStream in = open(loader, resource)) {
                    return sha256(in, out);
                }
            }));
            wrote = true;
        }
        if (!now.equals(known)) {
            StringBuilder sb = new StringBuilder("# flatminima: SHA-256 of each file, by its resource's size:crc32\n");
            now.forEach((f, v) -> sb.append(f).append(' ').append(v).append('\n'));
            byte[] text = sb.toString().getBytes(StandardCharsets.UTF_8);
            write(dir, CHECKSUMS + ".", dir.resolve(CHECKSUMS), out -> {
                out.write(text);
                return null;
            });
            wrote = true;
        }
        if (wrote) {
            forceDirectory(dir);
        }
        return dir.resolve(files.get(0));
    }

    /** The checksum file of a cache directory: one line "file size:crc32 sha256" per library. */
    static final String CHECKSUMS = "checksums.txt";

    /** Writes content to a temporary file next to {@code target}, forces it to disk and renames it over target. */
    private static String write(Path dir, String prefix, Path target, Writer content) throws IOException {
        Path tmp = Files.createTempFile(dir, "." + prefix, ".part");
        try {
            String result;
            try (OutputStream out = Files.newOutputStream(tmp)) {
                result = content.writeTo(out);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE); // rename(2): atomically replaces target
            return result;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Writes a file's content and returns its checksum (or null). */
    private interface Writer {
        String writeTo(OutputStream out) throws IOException;
    }

    /** A resource's "size:crc32" in its jar, or "-" when it is not in a jar (then it must be hashed). */
    private static String identity(ClassLoader loader, String resource) throws IOException {
        URL url = loader.getResource(resource);
        if (url == null) {
            throw new IOException(resource + " is not on the class path");
        }
        URLConnection c = url.openConnection();
        if (c instanceof JarURLConnection jar) {
            jar.setUseCaches(false); // do not keep the jar open for the JVM's lifetime
            try (JarFile file = jar.getJarFile()) {
                JarEntry e = file.getJarEntry(jar.getEntryName());
                if (e != null && e.getSize() >= 0 && e.getCrc() >= 0) {
                    return e.getSize() + ":" + Long.toHexString(e.getCrc());
                }
            }
        }
        return "-";
    }

    /** The checksum file's entries, file name to "identity sha256"; empty when it is missing or unreadable. */
    private static Map<String, String> readChecksums(Path file) {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] f = line.trim().split(" ");
                if (f.length == 3 && !f[0].startsWith("#")) {
                    m.put(f[0], f[1] + " " + f[2]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
        return m;
    }

    /** The SHA-256 of a file, in hex. */
    static String sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return sha256(in, OutputStream.nullOutputStream());
        }
    }

    /** Copies {@code in} to {@code out} and returns the SHA-256 of what went through, in hex. */
    private static String sha256(InputStream in, OutputStream out) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
        try (DigestInputStream din = new DigestInputStream(in, md)) {
            din.transferTo(out);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static InputStream open(ClassLoader loader, String resource) throws IOException {
        InputStream in = loader.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException(resource + " is not on the class path");
        }
        return in;
    }

    /** Makes the renames durable (fsync of the directory); skipped where a directory cannot be opened. */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // not every file system lets a directory be opened; the files themselves are already on disk
        }
    }
}
