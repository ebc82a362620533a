package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * Reads the binary version of CIFAR-10: each file is a sequence of records of one label byte (0..9) and
 * 3072 pixel bytes (the 1024 red, then 1024 green, then 1024 blue values of a 32 x 32 image, row-major), with
 * no header. The training split is {@code data_batch_1.bin} .. {@code data_batch_5.bin} (10,000 records
 * each), the test split {@code test_batch.bin}. Files may be gzip-compressed (recognised by content).
 * A length that is not a positive multiple of 3073 bytes, or a label above 9, is a {@link DataFileException}.
 *
 * <p>The authors' tarball {@code cifar-10-binary.tar.gz} holds these files in {@value #ARCHIVE_DIR}/;
 * {@link #readTarball} reads a split straight from it (nothing is extracted to disk). Pixels are not scaled here:
 * {@link Dataset#images()} gives {@code byte / 255} in [0, 1].
 */
public final class Cifar10 {

    /** Bytes of one image: 3 channels of 32 x 32. */
    public static final int IMAGE_BYTES = 3 * 32 * 32;
    /** Bytes of one record: the label, then the image. */
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** The ten classes, by label. */
    public static final List<String> CLASS_NAMES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");
    /** File names of the training split, in order. */
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin",
            "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    /** File name of the test split. */
    public static final String TEST_FILE = "test_batch.bin";
    /** The directory inside the authors' tarball that holds the batch files. */
    public static final String ARCHIVE_DIR = "cifar-10-batches-bin";
    /** Records in each batch file of the official release. */
    public static final int RECORDS_PER_FILE = 10_000;

    /** The six batch files, training files first. */
    public static List<String> allFiles() {
        List<String> all = new ArrayList<>(TRAIN_FILES);
        all.add(TEST_FILE);
        return List.copyOf(all);
    }

    private Cifar10() {
    }

    /** Reads one batch file as a data set of shape {@code [n, 3, 32, 32]} with 10 classes. */
    public static Dataset read(String name, Path file) {
        return read(name, file.toString(), List.of(file));
    }

    /**
     * Reads a split from the directory {@code dir} (the extracted {@code cifar-10-batches-bin}): the five
     * training batches, concatenated in order, or the test batch.
     */
    public static Dataset read(Path dir, boolean train) {
        List<Path> files = (train ? TRAIN_FILES : List.of(TEST_FILE)).stream().map(dir::resolve).toList();
        return read("cifar-10/" + (train ? "train" : "test"), train ? dir.toString() : files.getFirst().toString(),
                files);
    }

    /**
     * Reads a split from the authors' tarball (gzip-compressed tar): the entries named like the batch files, in
     * {@value #ARCHIVE_DIR}/ or at the top; a missing batch file, a damaged archive or a damaged file is a
     * {@link DataFileException} naming the tarball.
     */
    public static Dataset readTarball(Path tarball, boolean train) {
        List<String> wanted = train ? TRAIN_FILES : List.of(TEST_FILE);
        Map<String, byte[]> found = new LinkedHashMap<>();
        scan(tarball, wanted, found);
        List<byte[]> contents = new ArrayList<>();
        for (String f : wanted) {
            byte[] content = found.get(f);
            if (content == null) {
                throw new DataFileException(tarball.toString(), "has no " + ARCHIVE_DIR + "/" + f
                        + ": not the binary version of CIFAR-10 (cifar-10-binary.tar.gz)", null);
            }
            check(tarball + "!" + ARCHIVE_DIR + "/" + f, content);
            contents.add(content);
        }
        return assemble("cifar-10/" + (train ? "train" : "test"), tarball.toString(), contents);
    }

    /**
     * The sizes in bytes of the batch files in {@code tarball} (by file name; absent ones are missing), from the
     * tar headers: the whole archive is decompressed, nothing is kept.
     */
    public static Map<String, Long> tarballSizes(Path tarball) {
        return scan(tarball, allFiles(), null);
    }

    /** The batch file name an archive entry stands for (one of {@code wanted}), or null. */
    static String batchName(String entryPath, List<String> wanted) {
        int slash = entryPath.lastIndexOf('/');
        String base = entryPath.substring(slash + 1);
        String dir = slash < 0 ? "" : entryPath.substring(0, slash);
        boolean inPlace = dir.isEmpty() || dir.equals(".") || dir.equals(ARCHIVE_DIR)
                || dir.endsWith("/" + ARCHIVE_DIR);
        return inPlace && wanted.contains(base) ? base : null;
    }

    /**
     * The sizes of the entries of {@code tarball} that are batch files in {@code wanted}; their contents go into
     * {@code contents} when it is not null (reading stops once every wanted file is there).
     */
    private static Map<String, Long> scan(Path tarball, List<String> wanted, Map<String, byte[]> contents) {
        Map<String, Long> sizes = new LinkedHashMap<>();
        try (InputStream raw = Files.newInputStream(tarball);
             TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(raw, 1 << 16))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                String name = e.isFile() ? batchName(e.getName(), wanted) : null;
                if (name == null) {
                    continue;
                }
                sizes.put(name, e.getSize());
                if (contents != null) {
                    if (e.getSize() > Integer.MAX_VALUE - 16) {
                        throw new DataFileException(tarball.toString(), e.getName() + " is " + e.getSize()
                                + " bytes, too large for a CIFAR-10 batch", null);
                    }
                    contents.put(name, tar.readAllBytes());
                    if (contents.size() == wanted.size()) {
                        break;
                    }
                }
            }
        } catch (ZipException | java.io.EOFException e) {
            throw new DataFileException(tarball.toString(), "is not a complete gzip-compressed tar archive ("
                    + e.getMessage() + "): a damaged or partial copy of cifar-10-binary.tar.gz", e);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new DataFileException(tarball.toString(), "does not exist", e);
        } catch (IOException | IllegalArgumentException e) {
            throw new DataFileException(tarball.toString(), "cannot be read as cifar-10-binary.tar.gz ("
                    + e.getMessage() + ")", e);
        }
        return sizes;
    }

    private static Dataset read(String name, String source, List<Path> files) {
        List<byte[]> contents = new ArrayList<>();
        for (Path file : files) {
            byte[] content = readAll(file);
            check(file.toString(), content);
            contents.add(content);
        }
        return assemble(name, source, contents);
    }

    /** One data set from checked batch contents, in order. */
    private static Dataset assemble(String name, String source, List<byte[]> contents) {
        long total = 0;
        for (byte[] content : contents) {
            total += content.length / RECORD_BYTES;
        }
        int n = Math.toIntExact(total);
        byte[] pixels = new byte[Math.multiplyExact(n, IMAGE_BYTES)];
        int[] labels = new int[n];
        int at = 0;
        for (byte[] content : contents) {
            for (int r = 0; r < content.length / RECORD_BYTES; r++, at++) {
                labels[at] = content[r * RECORD_BYTES] & 0xFF;
                System.arraycopy(content, r * RECORD_BYTES + 1, pixels, at * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return Dataset.of(name, source, 3, 32, 32, pixels, labels, 10);
    }

    private static void check(String f, byte[] content) {
        if (content.length == 0) {
            throw new DataFileException(f, "empty file (0 bytes): expected CIFAR-10 records of " + RECORD_BYTES
                    + " bytes", null);
        }
        if (content.length % RECORD_BYTES != 0) {
            long whole = content.length / RECORD_BYTES;
            throw new DataFileException(f, content.length + " bytes is not a whole number of " + RECORD_BYTES
                    + "-byte CIFAR-10 records (" + whole + " records and " + (content.length % RECORD_BYTES)
                    + " bytes more): truncated, or not a CIFAR-10 binary file", null);
        }
        for (int r = 0; r < content.length / RECORD_BYTES; r++) {
            int label = content[r * RECORD_BYTES] & 0xFF;
            if (label > 9) {
                throw new DataFileException(f, "label " + label + " of record " + r + " is out of range 0..9: "
                        + "not a CIFAR-10 binary file (CIFAR-100's files have two label bytes)", null);
            }
        }
    }

    private static byte[] readAll(Path file) {
        try (DataStreams.Opened o = DataStreams.open(file, "CIFAR-10 records of " + RECORD_BYTES + " bytes")) {
            try {
                return o.in().readAllBytes();
            } catch (IOException e) {
                throw DataStreams.error(file.toString(), e, o);
            }
        } catch (IOException e) {
            throw DataStreams.error(file.toString(), e, null);
        }
    }
}
