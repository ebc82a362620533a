package org.flatminima.experiments.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small stand-ins for the binary CIFAR-10, written from the format description of the authors' page: each record is
 * one label byte and 3,072 pixel bytes (the red plane, then green, then blue, each 32 x 32 row-major); the tarball
 * holds the six batch files in {@code cifar-10-batches-bin/} with the release's other two files. Files hold
 * {@code perFile} records instead of 10,000. Public for the command-line tests of another package.
 */
public final class CifarFiles {

    private CifarFiles() {
    }

    /** The content of batch file {@code k} (0-4 training, 5 test): labels {@code (k + i) % 10}, random pixels. */
    public static byte[] batch(int k, int perFile) {
        byte[] b = new byte[perFile * Cifar10.RECORD_BYTES];
        new SplittableRandom(1000 + k).nextBytes(b);
        for (int i = 0; i < perFile; i++) {
            b[i * Cifar10.RECORD_BYTES] = (byte) ((k + i) % 10);
        }
        return b;
    }

    /** The six files by name, in the release's order. */
    public static Map<String, byte[]> files(int perFile) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int k = 0; k < 6; k++) {
            m.put(Cifar10.allFiles().get(k), batch(k, perFile));
        }
        return m;
    }

    /** Writes the six files into {@code dir} (created); returns {@code dir}. */
    public static Path writeDir(Path dir, int perFile) throws IOException {
        Files.createDirectories(dir);
        for (Map.Entry<String, byte[]> e : files(perFile).entrySet()) {
            Files.write(dir.resolve(e.getKey()), e.getValue());
        }
        return dir;
    }

    /** The tarball: {@code cifar-10-batches-bin/} with batches.meta.txt, the six files and readme.html. */
    public static byte[] tarball(int perFile) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put(Cifar10.ARCHIVE_DIR + "/batches.meta.txt",
                (String.join("\n", Cifar10.CLASS_NAMES) + "\n").getBytes(StandardCharsets.US_ASCII));
        files(perFile).forEach((k, v) -> entries.put(Cifar10.ARCHIVE_DIR + "/" + k, v));
        entries.put(Cifar10.ARCHIVE_DIR + "/readme.html", "<html></html>\n".getBytes(StandardCharsets.US_ASCII));
        return TestTar.tgz(entries);
    }

    /** Writes {@link #tarball} to {@code file}; returns {@code file}. */
    public static Path writeTarball(Path file, int perFile) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, tarball(perFile));
        return file;
    }

    /** The MD5 of {@code b}, lower-case hex. */
    public static String md5(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
