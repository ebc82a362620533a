package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.flatminima.experiments.MemoryBudget;

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
        return readImages(file, -1);
    }

    /**
     * Reads the first {@code limit} images of an image file (all when {@code limit < 0} or the file holds fewer),
     * without reading the rest of the file.
     */
    public static Images readImages(Path file, long limit) {
        return images(read(file, 3, limit));
    }

    /** Reads the header and the first {@code limit} items (all when negative) of an IDX file of {@code ndims}. */
    static Read read(Path file, int ndims, long limit) {
        try (DataStreams.Opened o = DataStreams.open(file, expected(ndims))) {
            return read(o, ndims, limit);
        } catch (IOException e) {
            throw DataStreams.error(file.toString(), e, null);
        }
    }

    /** Reads an image file from a stream (e.g. a class-path resource); {@code name} appears in error messages. */
    public static Images readImages(String name, InputStream in) {
        return readImages(name, in, -1);
    }

    /** Reads the first {@code limit} images (all when negative) from a stream named {@code name}. */
    public static Images readImages(String name, InputStream in, long limit) {
        try (DataStreams.Opened o = DataStreams.open(name, in, -1, expected(3))) {
            return images(read(o, 3, limit));
        } catch (IOException e) {
            throw DataStreams.error(name, e, null);
        }
    }

    /**
     * Reads a label file (magic {@value #LABELS_MAGIC_HEX}), raw or gzip; every label must be in
     * {@code 0 .. classes-1}.
     */
    public static int[] readLabels(Path file, int classes) {
        return readLabels(file, classes, -1);
    }

    /** Reads the first {@code limit} labels of a label file (all when negative), without reading the rest. */
    public static int[] readLabels(Path file, int classes, long limit) {
        return checkLabels(file.toString(), read(file, 1, limit).data(), classes);
    }

    /** Reads a label file from a stream; {@code name} appears in error messages. */
    public static int[] readLabels(String name, InputStream in, int classes) {
        return readLabels(name, in, classes, -1);
    }

    /** Reads the first {@code limit} labels (all when negative) from a stream named {@code name}. */
    public static int[] readLabels(String name, InputStream in, int classes, long limit) {
        try (DataStreams.Opened o = DataStreams.open(name, in, -1, expected(1))) {
            return checkLabels(name, read(o, 1, limit).data(), classes);
        } catch (IOException e) {
            throw DataStreams.error(name, e, null);
        }
    }

    /**
     * The item count of an IDX file of {@code ndims} dimensions (3 for images, 1 for labels), from its header
     * alone; the magic number is validated, the length is not.
     */
    public static int count(Path file, int ndims) {
        try (DataStreams.Opened o = DataStreams.open(file, expected(ndims))) {
            return header(o, ndims)[0];
        } catch (IOException e) {
            throw DataStreams.error(file.toString(), e, null);
        }
    }

    /** What the core reader read: the header's dimensions (the declared count first) and the elements read. */
    record Read(int[] dims, byte[] data) {
        /** The number of items read (at most the declared count). */
        int count() {
            long per = 1;
            for (int d = 1; d < dims.length; d++) {
                per *= dims[d];
            }
            return (int) (data.length / per);
        }
    }

    static Images images(Read r) {
        return new Images(r.count(), r.dims()[1], r.dims()[2], r.data());
    }

    static int[] checkLabels(String name, byte[] data, int classes) {
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

    /** Reads and validates the magic number and the sizes; returns the dimensions. */
    private static int[] header(DataStreams.Opened o, int ndims) {
        String name = o.name();
        try {
            InputStream in = o.in();
            byte[] magic = in.readNBytes(4);
            if (magic.length < 4) {
                throw new DataFileException(name, "truncated: " + o.where() + " has " + magic.length
                        + " bytes, fewer than the 4-byte IDX magic number", null);
            }
            checkMagic(name, magic, ndims, o.gzip());
            byte[] sizes = in.readNBytes(4 * ndims);
            if (sizes.length < 4 * ndims) {
                throw new DataFileException(name, "truncated: " + o.where() + " ends inside the IDX header ("
                        + (4 + sizes.length) + " of " + (4 + 4 * ndims) + " bytes)", null);
            }
            int[] dims = new int[ndims];
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
            }
            return dims;
        } catch (IOException e) {
            throw DataStreams.error(name, e, o);
        }
    }

    /**
     * The core reader: the header, then the first {@code limit} items (all when negative). When every declared
     * item is read, the end of the data is checked too (nothing may follow); with a smaller limit, the rest of a
     * compressed file is never read (a raw regular file's length is still checked, which costs no reading).
     */
    private static Read read(DataStreams.Opened o, int ndims, long limit) {
        String name = o.name();
        int[] dims = header(o, ndims);
        long per = 1;
        for (int d = 1; d < ndims; d++) {
            per = Math.multiplyExact(per, dims[d]); // two ints: cannot overflow a long
        }
        long declared = dims[0];
        long take = limit < 0 ? declared : Math.min(declared, limit);
        long headerBytes = 4L + 4L * ndims;
        long expectedLength = headerBytes + declared * per;
        long elements = take * per;
        if (elements > MAX_ELEMENTS) {
            throw new DataFileException(name, "the header declares " + declaration(dims, declared) + ": "
                    + reading(declared, take) + " is " + MemoryBudget.show(elements) + ", more than one file may "
                    + "hold (" + MAX_ELEMENTS + " bytes): read fewer (--limit N)", null);
        }
        long heap = MemoryBudget.heapBytes();
        if (elements > heap / 2) {
            throw new DataFileException(name, "the header declares " + declaration(dims, declared) + ": "
                    + reading(declared, take) + " needs " + MemoryBudget.show(elements) + ", over half of this "
                    + "JVM's heap of " + MemoryBudget.show(heap) + ": read fewer (--limit N), or give it more "
                    + "memory (" + MemoryBudget.FIX + ")", null);
        }
        if (o.rawLength() >= 0 && o.rawLength() != expectedLength) {
            long holds = Math.max(0, o.rawLength() - headerBytes) / per;
            if (o.rawLength() < expectedLength) {
                throw new DataFileException(name, "truncated: the header declares " + declaration(dims, declared)
                        + " but the file holds " + holds + " (" + o.rawLength() + " of " + expectedLength
                        + " bytes)", null);
            }
            throw new DataFileException(name, (o.rawLength() - expectedLength) + " trailing bytes: the header "
                    + "declares " + declaration(dims, declared) + " (" + expectedLength + " bytes) but the file has "
                    + o.rawLength() + " bytes", null);
        }
        try {
            byte[] data = o.in().readNBytes((int) elements);
            if (data.length < elements) {
                long holds = data.length / per;
                throw new DataFileException(name, "truncated: the header declares " + declaration(dims, declared)
                        + " but " + o.where() + " holds " + holds + " (it ends after " + (headerBytes + data.length)
                        + " bytes)", null);
            }
            if (take == declared && o.in().read() >= 0) {
                throw new DataFileException(name, "trailing bytes: " + o.where() + " goes on after the "
                        + declaration(dims, declared) + " the header declares (" + expectedLength + " bytes)", null);
            }
            return new Read(dims, data);
        } catch (IOException e) {
            throw DataStreams.error(name, e, o);
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

    private static String reading(long declared, long take) {
        return take == declared ? "reading them" : "reading the first " + take;
    }

    private static String declaration(int[] dims, long count) {
        return dims.length == 3 ? count + " images of " + dims[1] + " x " + dims[2]
                : dims.length == 1 ? count + " labels" : "the declared elements";
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
