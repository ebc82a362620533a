package org.flatminima.experiments.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the binary version of CIFAR-10: each file is a sequence of records of one label byte (0..9) and
 * 3072 pixel bytes (the 1024 red, then 1024 green, then 1024 blue values of a 32 x 32 image, row-major), with
 * no header. The training split is {@code data_batch_1.bin} .. {@code data_batch_5.bin} (10,000 records
 * each), the test split {@code test_batch.bin}. Files may be gzip-compressed (recognised by content).
 * A length that is not a positive multiple of 3073 bytes, or a label above 9, is a {@link DataFileException}.
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

    private static Dataset read(String name, String source, List<Path> files) {
        List<byte[]> contents = new ArrayList<>();
        long total = 0;
        for (Path file : files) {
            byte[] content = readAll(file);
            check(file.toString(), content);
            contents.add(content);
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
