package org.flatminima.experiments.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipException;

/**
 * Reads and writes the IDX format of MNIST and Fashion-MNIST, for unsigned-byte data only.
 *
 * <p>An IDX file is a big-endian header, then the data in row-major order: the magic number {@code 0x0000TTDD}
 * (two zero bytes, the element type {@code TT}, {@code 0x08} for unsigned bytes, and the number of dimensions
 * {@code DD}), one 32-bit size per dimension, then the elements. Images are {@value #IMAGES_MAGIC_HEX}
 * ({@code [n, rows, cols]}), labels {@value #LABELS_MAGIC_HEX} ({@code [n]}).
 *
 * <p>Files may be raw or gzip-compressed; compression is recognised by the content (the gzip magic bytes
 * {@code 1f 8b}), not by the name. Everything is validated: the magic number, every dimension, the exact
 * length (a short file is "truncated", a long one has "trailing bytes"), and the label range. Every problem is
 * a {@link DataFileException} whose one-line message starts with the file's name.
 */
public final class Idx {

    /** Magic number of an unsigned-byte IDX file with 3 dimensions: images {@code [n, rows, cols]}. */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of an unsigned-byte IDX file with 1 dimension: labels {@code [n]}. */
    public static final int LABELS_MAGIC = 0x00000801;
    static final String IMAGES_MAGIC_HEX = "0x00000803";
    static final String LABELS_MAGIC_HEX = "0x00000801";

    /** The largest number of elements one file may hold (a Java array). */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private Idx() {
    }

    /**
     * Images read from an IDX file: {@code count} images of {@code rows x cols} unsigned bytes, row-major,
     * image after image ({@code pixels[(i * rows + r) * cols + c]}).
     */
    public record Images(int count, int rows, int cols, byte[] pixels) {
        /** Checks that the sizes are positive and that {@code pixels} holds exactly {@code count*rows*cols}. */
        public Images {
            if (count < 0 || rows < 1 || cols < 1) {
                throw new IllegalArgumentException("bad image dimensions " + count + " x " + rows + " x " + cols);
            }
            if ((long) count * rows * cols != pixels.length) {
                throw new IllegalArgumentException(pixels.length + " pixels do not fill " + count + " images of "
                        + rows + " x " + cols);
            }
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads an image file (magic {@value #IMAGES_MAGIC_HEX}), raw or gzip. */
    public static Images readImages(Path file) {
        int[] dims = new int[3];
        byte[] data = read(file, 3, dims);
        return new Images(dims[0], dims[1], dims[2], data);
    }

    /** Reads an image file from a stream (e.g. a class-path resource); {@code name} appears in error messages. */
    public static Images readImages(String name, InputStream in) {
        int[] dims = new int[3];
        byte[] data = read(name, in, -1, 3, dims);
        return new Images(dims[0], dims[1], dims[2], data);
    }

    /**
     * Reads a label file (magic {@value #LABELS_MAGIC_HEX}), raw or gzip; every label must be in
     * {@code 0 .. classes-1}.
     */
    public static int[] readLabels(Path file, int classes) {
        byte[] data = read(file, 1, new int[1]);
        return checkLabels(file.toString(), data, classes);
    }

    /** Reads a label file from a stream; {@code name} appears in error messages. */
    public static int[] readLabels(String name, InputStream in, int classes) {
        byte[] data = read(name, in, -1, 1, new int[1]);
        return checkLabels(name, data, classes);
    }

    /**
     * The item count of an IDX file of {@code ndims} dimensions (3 for images, 1 for labels), from its header
     * alone; the magic number is validated, the length is not.
     */
    public static int count(Path file, int ndims) {
        String name = file.toString();
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file))) {
            raw.mark(2);
            int b0 = raw.read();
            int b1 = raw.read();
            raw.reset();
            if (b0 < 0) {
                throw new DataFileException(name, "empty file (0 bytes): expected " + expected(ndims), null);
            }
            InputStream in = b0 == 0x1f && b1 == 0x8b ? new GZIPInputStream(raw) : raw;
            byte[] h = in.readNBytes(4);
            if (h.length < 4) {
                throw new DataFileException(name, "truncated: fewer than the 4-byte IDX magic number", null);
            }
            checkMagic(name, h, ndims, b0 == 0x1f && b1 == 0x8b);
            h = java.util.Arrays.copyOf(h, 8);
            if (in.readNBytes(h, 4, 4) < 4) {
                throw new DataFileException(name, "truncated: the file ends inside the IDX header", null);
            }
            long v = ((h[4] & 0xFFL) << 24) | ((h[5] & 0xFFL) << 16) | ((h[6] & 0xFFL) << 8) | (h[7] & 0xFFL);
            if (v > Integer.MAX_VALUE) {
                throw new DataFileException(name, "dimension 0 of the header is " + v + ", too large", null);
            }
            return (int) v;
        } catch (NoSuchFileException e) {
            throw new DataFileException(name, "file not found", e);
        } catch (EOFException e) {
            throw new DataFileException(name, "truncated gzip data (" + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new DataFileException(name, "corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataFileException(name, "cannot read: " + e, e);
        }
    }

    private static int[] checkLabels(String name, byte[] data, int classes) {
        if (classes < 1 || classes > 256) {
            throw new IllegalArgumentException("class count must be in 1..256, got " + classes);
        }
        int[] labels = new int[data.length];
        for (int i = 0; i < data.length; i++) {
            int v = data[i] & 0xFF;
            if (v >= classes) {
                throw new DataFileException(name, "label " + v + " at index " + i + " is out of range 0.."
                        + (classes - 1), null);
            }
            labels[i] = v;
        }
        return labels;
    }

    private static byte[] read(Path file, int ndims, int[] dims) {
        String name = file.toString();
        long length;
        InputStream in;
        try {
            if (Files.isDirectory(file)) {
                throw new DataFileException(name, "is a directory, not an IDX file", null);
            }
            length = Files.size(file);
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new DataFileException(name, "file not found", e);
        } catch (IOException e) {
            throw new DataFileException(name, "cannot read: " + e, e);
        }
        try (in) {
            return read(name, in, length, ndims, dims);
        } catch (IOException e) {
            throw new DataFileException(name, "cannot read: " + e, e);
        }
    }

    /**
     * The core reader. {@code rawLength} is the file's length when known (then a raw file's length is checked
     * before anything is allocated), else -1. Fills {@code dims} and returns the elements.
     */
    private static byte[] read(String name, InputStream source, long rawLength, int ndims, int[] dims) {
        try {
            BufferedInputStream bin = new BufferedInputStream(source, 1 << 16);
            bin.mark(2);
            int b0 = bin.read();
            int b1 = bin.read();
            bin.reset();
            if (b0 < 0) {
                throw new DataFileException(name, "empty file (0 bytes): expected " + expected(ndims), null);
            }
            boolean gzip = b0 == 0x1f && b1 == 0x8b;
            InputStream in = gzip ? new GZIPInputStream(bin, 1 << 16) : bin;
            String where = gzip ? "the decompressed data" : "the file";

            byte[] magic = in.readNBytes(4);
            if (magic.length < 4) {
                throw new DataFileException(name, "truncated: " + where + " has " + magic.length
                        + " bytes, fewer than the 4-byte IDX magic number", null);
            }
            checkMagic(name, magic, ndims, gzip);

            byte[] sizes = in.readNBytes(4 * ndims);
            if (sizes.length < 4 * ndims) {
                throw new DataFileException(name, "truncated: " + where + " ends inside the IDX header ("
                        + (4 + sizes.length) + " of " + (4 + 4 * ndims) + " bytes)", null);
            }
            long elements = 1;
            for (int d = 0; d < ndims; d++) {
                long v = ((sizes[4 * d] & 0xFFL) << 24) | ((sizes[4 * d + 1] & 0xFFL) << 16)
                        | ((sizes[4 * d + 2] & 0xFFL) << 8) | (sizes[4 * d + 3] & 0xFFL);
                if (v > Integer.MAX_VALUE) {
                    throw new DataFileException(name, "dimension " + d + " of the header is " + v
                            + ", too large", null);
                }
                if (v == 0 && d > 0) {
                    throw new DataFileException(name, "the header declares images of " + describe(sizes, ndims)
                            + " pixels: a size of 0 is not allowed", null);
                }
                dims[d] = (int) v;
                elements *= v;
                if (elements > MAX_ELEMENTS) {
                    throw new DataFileException(name, "the header declares " + describe(sizes, ndims)
                            + " elements, more than one file may hold (" + MAX_ELEMENTS + ")", null);
                }
            }
            long expectedLength = 4L + 4L * ndims + elements;
            if (!gzip && rawLength >= 0 && rawLength != expectedLength) {
                String declared = "the header declares " + declaration(dims, ndims) + " (" + expectedLength
                        + " bytes)";
                if (rawLength < expectedLength) {
                    throw new DataFileException(name, "truncated: " + declared + " but the file has " + rawLength
                            + " bytes", null);
                }
                throw new DataFileException(name, (rawLength - expectedLength) + " trailing bytes: " + declared
                        + " but the file has " + rawLength + " bytes", null);
            }
            byte[] data = in.readNBytes((int) elements);
            if (data.length < elements) {
                throw new DataFileException(name, "truncated: the header declares " + declaration(dims, ndims)
                        + " (" + expectedLength + " bytes) but " + where + " ends after "
                        + (4L + 4L * ndims + data.length) + " bytes", null);
            }
            if (in.read() >= 0) {
                throw new DataFileException(name, "trailing bytes: " + where + " goes on after the "
                        + declaration(dims, ndims) + " the header declares (" + expectedLength + " bytes)", null);
            }
            return data;
        } catch (EOFException e) {
            throw new DataFileException(name, "truncated gzip data (" + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new DataFileException(name, "corrupt gzip data (" + e.getMessage() + ")", e);
        } catch (IOException e) {
            throw new DataFileException(name, "cannot read: " + e, e);
        }
    }

    private static void checkMagic(String name, byte[] m, int ndims, boolean gzip) {
        int magic = ((m[0] & 0xFF) << 24) | ((m[1] & 0xFF) << 16) | ((m[2] & 0xFF) << 8) | (m[3] & 0xFF);
        String found = String.format(Locale.ROOT, "0x%08x", magic);
        if (m[0] != 0 || m[1] != 0) {
            String note = !gzip && name.toLowerCase(Locale.ROOT).endsWith(".gz")
                    ? " (the name ends in .gz, but the content is not gzip-compressed either)" : "";
            throw new DataFileException(name, "not an IDX file: it starts with " + found + ", expected "
                    + expected(ndims) + note, null);
        }
        int type = m[2] & 0xFF;
        int dims = m[3] & 0xFF;
        if (type != 0x08) {
            throw new DataFileException(name, "IDX element type 0x" + String.format(Locale.ROOT, "%02x", type)
                    + " (" + typeName(type) + ", magic " + found + ") is not supported: expected unsigned bytes, "
                    + expected(ndims), null);
        }
        if (dims != ndims) {
            String what = dims == 1 ? "a label file" : dims == 3 ? "an image file" : "an IDX file with " + dims
                    + " dimensions";
            String hint = (dims == 1 || dims == 3) ? ": are images and labels swapped?" : "";
            throw new DataFileException(name, "is " + what + " (magic " + found + "), expected " + expected(ndims)
                    + hint, null);
        }
    }

    private static String expected(int ndims) {
        return ndims == 3 ? "an IDX image file (magic " + IMAGES_MAGIC_HEX + ")"
                : ndims == 1 ? "an IDX label file (magic " + LABELS_MAGIC_HEX + ")"
                : "an unsigned-byte IDX file with " + ndims + " dimensions";
    }

    private static String typeName(int type) {
        return switch (type) {
            case 0x09 -> "signed byte";
            case 0x0B -> "int16";
            case 0x0C -> "int32";
            case 0x0D -> "float32";
            case 0x0E -> "float64";
            default -> "unknown";
        };
    }

    private static String describe(byte[] sizes, int ndims) {
        StringBuilder sb = new StringBuilder();
        for (int d = 0; d < ndims; d++) {
            long v = ((sizes[4 * d] & 0xFFL) << 24) | ((sizes[4 * d + 1] & 0xFFL) << 16)
                    | ((sizes[4 * d + 2] & 0xFFL) << 8) | (sizes[4 * d + 3] & 0xFFL);
            sb.append(d == 0 ? "" : " x ").append(v);
        }
        return sb.toString();
    }

    private static String declaration(int[] dims, int ndims) {
        return ndims == 3 ? dims[0] + " images of " + dims[1] + " x " + dims[2]
                : ndims == 1 ? dims[0] + " labels" : "the declared elements";
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes {@code images} as an IDX image file, gzip-compressed when {@code gzip}, atomically (a temporary
     * file in the same directory, then a rename).
     */
    public static void writeImages(Path file, Images images, boolean gzip) throws IOException {
        AtomicFiles.write(file, out -> writeImages(out, images, gzip));
    }

    /** Writes {@code images} as an IDX image file to {@code out} (not closed). */
    public static void writeImages(OutputStream out, Images images, boolean gzip) throws IOException {
        write(out, IMAGES_MAGIC, new int[] {images.count(), images.rows(), images.cols()}, images.pixels(), gzip);
    }

    /**
     * Writes {@code labels} (each in 0..255) as an IDX label file, gzip-compressed when {@code gzip},
     * atomically.
     */
    public static void writeLabels(Path file, int[] labels, boolean gzip) throws IOException {
        AtomicFiles.write(file, out -> writeLabels(out, labels, gzip));
    }

    /** Writes {@code labels} (each in 0..255) as an IDX label file to {@code out} (not closed). */
    public static void writeLabels(OutputStream out, int[] labels, boolean gzip) throws IOException {
        byte[] data = new byte[labels.length];
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 255) {
                throw new IllegalArgumentException("label " + labels[i] + " at index " + i
                        + " does not fit an unsigned byte");
            }
            data[i] = (byte) labels[i];
        }
        write(out, LABELS_MAGIC, new int[] {labels.length}, data, gzip);
    }

    private static void write(OutputStream target, int magic, int[] dims, byte[] data, boolean gzip)
            throws IOException {
        OutputStream out = gzip ? new GZIPOutputStream(new NonClosing(target), 1 << 16) : target;
        byte[] header = new byte[4 + 4 * dims.length];
        putInt(header, 0, magic);
        for (int d = 0; d < dims.length; d++) {
            putInt(header, 4 + 4 * d, dims[d]);
        }
        out.write(header);
        out.write(data);
        if (gzip) {
            out.close(); // finishes the gzip trailer; NonClosing keeps target open
        }
        target.flush();
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    /** Lets a wrapping stream be closed without closing the caller's stream. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
