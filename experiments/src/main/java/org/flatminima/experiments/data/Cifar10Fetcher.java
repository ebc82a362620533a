package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.UnresolvedAddressException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.flatminima.experiments.UserException;

/**
 * Fetches the binary version of CIFAR-10: downloads the authors' tarball into a hidden staging directory beside the
 * target, checks its MD5 against the published value, extracts the six batch files of
 * {@value Cifar10#ARCHIVE_DIR}/ (checking each one's size), forces them to disk, and only then renames the staging
 * directory onto the target in one step. A failure at any step, or a crash, leaves the target as it was (absent,
 * or the complete earlier copy); a staging directory left by a crash is removed by a later fetch once it has not
 * changed for {@link #STALE}.
 *
 * <p>Sources: {@code http:}/{@code https:} (redirects followed) and {@code file:} URLs.
 */
public final class Cifar10Fetcher {

    /** The authors' download of the binary version (https://www.cs.toronto.edu/~kriz/cifar.html). */
    public static final URI OFFICIAL_URL = URI.create("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");

    /**
     * The MD5 the authors publish for {@code cifar-10-binary.tar.gz} on https://www.cs.toronto.edu/~kriz/cifar.html
     * ("CIFAR-10 binary version (suitable for C programs)"; the python version's is c58f30108f718f92721af3b95e74349a).
     */
    public static final String OFFICIAL_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";

    /** A staging directory unchanged for this long belongs to a fetch that died; a later fetch removes it. */
    public static final Duration STALE = Duration.ofHours(1);

    /** Prefix of the staging directories' names. */
    static final String STAGING_PREFIX = ".fetch-cifar-10-";

    /**
     * What to fetch: the tarball's URL, its MD5 (lower-case hex) and the records each batch file must hold.
     *
     * @param url where the tarball is
     * @param md5 its expected MD5
     * @param recordsPerFile records of each of the six batch files ({@value Cifar10#RECORDS_PER_FILE} officially)
     */
    public record Source(URI url, String md5, int recordsPerFile) {
        /** The authors' tarball. */
        public static Source official() {
            return new Source(OFFICIAL_URL, OFFICIAL_MD5, Cifar10.RECORDS_PER_FILE);
        }

        /** The official tarball's checksum and sizes, fetched from another URL (a mirror, a local copy). */
        public static Source officialAt(URI url) {
            return new Source(url, OFFICIAL_MD5, Cifar10.RECORDS_PER_FILE);
        }

        long fileBytes() {
            return (long) recordsPerFile * Cifar10.RECORD_BYTES;
        }
    }

    /** What {@link #fetch} did. */
    public enum Outcome {
        /** The six files were already in the target directory, with the right sizes. */
        ALREADY_PRESENT,
        /** The tarball was downloaded, verified and extracted. */
        FETCHED
    }

    private final Source source;
    private final PrintWriter log;

    /** A fetcher of {@code source}; progress lines go to {@code log}. */
    public Cifar10Fetcher(Source source, PrintWriter log) {
        this.source = source;
        this.log = log;
    }

    /**
     * Makes sure {@code target} holds the six batch files: when they are there with the right sizes nothing is
     * downloaded; else see the class comment. Problems (no network, an HTTP error, a broken-off download, a checksum
     * or size mismatch) are a one-line {@link UserException}; nothing new is left in the cache.
     */
    public Outcome fetch(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        try {
            if (presentAndValid(abs)) {
                say("CIFAR-10 is already in " + abs + " (six batch files of the right sizes)");
                return Outcome.ALREADY_PRESENT;
            }
            Path parent = abs.getParent();
            Files.createDirectories(parent);
            removeStaleStaging(parent);
            Path staging = Files.createTempDirectory(parent, STAGING_PREFIX);
            try {
                Path tarball = staging.resolve(DataSets.CIFAR_TARBALL);
                say("downloading " + source.url() + " into " + parent);
                String md5 = download(tarball);
                if (!md5.equals(source.md5())) {
                    throw new UserException(DataSets.CIFAR_TARBALL + " from " + source.url() + " has MD5 " + md5
                            + ", expected " + source.md5() + " (the published checksum of the binary version): a "
                            + "damaged or changed file; nothing was written to the cache; try again, or name a copy "
                            + "you trust with --cifar-dir");
                }
                Path extracted = staging.resolve("cifar-10");
                extract(tarball, extracted);
                Files.delete(tarball);
                install(extracted, abs, staging);
            } finally {
                AtomicFiles.deleteRecursively(staging);
            }
            say("CIFAR-10 written to " + abs + " (" + Cifar10.allFiles().size() + " files; MD5 of the tarball "
                    + source.md5() + " verified)");
            return Outcome.FETCHED;
        } catch (IOException e) {
            throw new UserException("fetching CIFAR-10 into " + abs + " failed: " + e, e);
        }
    }

    /** True when every batch file is in {@code dir} with the size of {@link Source#recordsPerFile} records. */
    public boolean presentAndValid(Path dir) throws IOException {
        for (String f : Cifar10.allFiles()) {
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p) || Files.size(p) != source.fileBytes()) {
                return false;
            }
        }
        return true;
    }

    /** Downloads the source into {@code to}; returns its MD5. */
    private String download(Path to) throws IOException {
        URI url = source.url();
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        MessageDigest md = newMd5();
        if (scheme.equals("file")) {
            try (InputStream in = Files.newInputStream(Path.of(url))) {
                copy(in, to, md, -1);
            } catch (NoSuchFileException e) {
                throw new UserException(url + " does not exist: name the tarball " + DataSets.CIFAR_TARBALL
                        + " with --url file:///PATH, or give it with --cifar-dir", e);
            }
            return HexFormat.of().formatHex(md.digest());
        }
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new UserException("cannot download " + url + ": only http:, https: and file: URLs are supported");
        }
        try (HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(30)).build()) {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(2)).GET().build();
            HttpResponse<InputStream> response;
            try {
                response = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
            } catch (ConnectException | HttpConnectTimeoutException | UnknownHostException e) {
                throw noNetwork(url, e);
            } catch (IOException e) {
                if (e.getCause() instanceof UnresolvedAddressException) {
                    throw noNetwork(url, e);
                }
                throw brokenOff(url, 0, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UserException("interrupted while connecting to " + url.getHost()
                        + ": nothing was written to the cache", e);
            }
            try (InputStream in = response.body()) {
                if (response.statusCode() != 200) {
                    throw new UserException(url + " answered HTTP " + response.statusCode() + ": nothing was "
                            + "written to the cache; try again later, or download " + DataSets.CIFAR_TARBALL
                            + " elsewhere and give it with --cifar-dir");
                }
                long length = response.headers().firstValueAsLong("Content-Length").orElse(-1);
                copy(in, to, md, length);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Copies {@code in} into {@code to} (MD5 into {@code md}), a progress line each 10% when the length is known. */
    private void copy(InputStream in, Path to, MessageDigest md, long length) throws IOException {
        long n = 0;
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             OutputStream out = new DigestOutputStream(java.nio.channels.Channels.newOutputStream(ch), md)) {
            byte[] buf = new byte[1 << 16];
            int tenth = 0;
            for (int r; (r = in.read(buf)) > 0; ) {
                out.write(buf, 0, r);
                n += r;
                if (length > 0 && n * 10 / length > tenth && n < length) {
                    tenth = (int) (n * 10 / length);
                    say(String.format(Locale.ROOT, "  %d%% (%.1f of %.1f MB)", tenth * 10, n / 1e6, length / 1e6));
                }
            }
            out.flush();
            ch.force(true);
        } catch (IOException e) {
            if (e instanceof java.nio.file.FileSystemException) {
                throw e;
            }
            throw brokenOff(source.url(), n, e);
        }
        if (length >= 0 && n != length) {
            throw brokenOff(source.url(), n, new IOException("expected " + length + " bytes"));
        }
    }

    private static UserException noNetwork(URI url, Exception e) {
        return new UserException("cannot reach " + url.getHost() + " to download CIFAR-10 (" + reason(e) + "): "
                + "no network? Download " + DataSets.CIFAR_TARBALL + " on a machine that has one and give it with "
                + "--cifar-dir FILE (or fetch it with --url file:///PATH)", e);
    }

    private static UserException brokenOff(URI url, long bytes, Exception e) {
        return new UserException("the download of " + url + " broke off after " + bytes + " bytes (" + reason(e)
                + "): nothing was written to the cache; run the command again, or give a copy with --cifar-dir", e);
    }

    private static String reason(Exception e) {
        String m = e.getMessage();
        return (m == null || m.isBlank() ? e.getClass().getSimpleName() : m).replaceAll("\\s+", " ").strip();
    }

    /** Extracts the six batch files of the tarball into {@code into}, checking sizes, each forced to disk. */
    private void extract(Path tarball, Path into) throws IOException {
        Files.createDirectories(into);
        int found = 0;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(
                new GZIPInputStream(Files.newInputStream(tarball), 1 << 16))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String name = e.isFile() ? Cifar10.batchName(e.getName(), Cifar10.allFiles()) : null;
                if (name == null || Files.exists(into.resolve(name))) {
                    continue;
                }
                if (e.getSize() != source.fileBytes()) {
                    throw new UserException(e.getName() + " in " + DataSets.CIFAR_TARBALL + " is " + e.getSize()
                            + " bytes, expected " + source.fileBytes() + ": nothing was written to the cache");
                }
                try (FileChannel ch = FileChannel.open(into.resolve(name), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE); OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                    tar.transferTo(out);
                    out.flush();
                    ch.force(true);
                }
                found++;
            }
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new UserException(DataSets.CIFAR_TARBALL + " is not a valid .tar.gz (" + reason(e) + "): nothing "
                    + "was written to the cache", e);
        }
        if (found != Cifar10.allFiles().size()) {
            throw new UserException(DataSets.CIFAR_TARBALL + " from " + source.url() + " lacks some of "
                    + String.join(", ", Cifar10.allFiles()) + " in " + Cifar10.ARCHIVE_DIR
                    + "/: nothing was written to the cache");
        }
    }

    /**
     * Renames {@code extracted} onto {@code target}; an existing {@code target} (incomplete, or of other sizes) is
     * first renamed into {@code staging}, so that at every instant {@code target} is absent or complete.
     */
    private static void install(Path extracted, Path target, Path staging) throws IOException {
        forceDirectory(extracted);
        if (Files.exists(target)) {
            Files.move(target, staging.resolve("replaced"), StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(extracted, target, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(target.getParent());
    }

    /** Forces a directory's entries to disk where the platform allows it (Linux does). */
    private static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // not every platform opens directories; the rename is still atomic
        }
    }

    /** Removes staging directories of fetches that died (nothing in them changed for {@link #STALE}). */
    static void removeStaleStaging(Path parent) {
        FileTime before = FileTime.from(Instant.now().minus(STALE));
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, STAGING_PREFIX + "*")) {
            for (Path d : ds) {
                if (Files.isDirectory(d) && newest(d).compareTo(before) < 0) {
                    AtomicFiles.deleteRecursively(d);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // best effort: a directory we cannot list or delete stays
        }
    }

    private static FileTime newest(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.map(p -> {
                try {
                    return Files.getLastModifiedTime(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).max(Comparator.naturalOrder()).orElse(FileTime.fromMillis(0));
        }
    }

    private void say(String line) {
        log.println(line);
        log.flush();
    }

    private static MessageDigest newMd5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }
}
