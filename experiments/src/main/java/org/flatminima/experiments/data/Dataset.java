package org.flatminima.experiments.data;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;
import org.flatminima.experiments.MemoryBudget;
import org.flatminima.experiments.UserException;
import org.flatminima.kernels.DType;

/**
 * A labelled image data set held as unsigned bytes, and how to hand it to a model as tensors.
 *
 * <p>Point {@code i} has {@code channels x rows x cols} pixels in 0..255 (channel-major, then row-major, as in
 * IDX and CIFAR-10) and a label in {@code 0 .. classes-1}. {@link #images()} converts to a tensor of
 * {@link #dtype()} with the {@link Layout} of {@link #layout()}: each pixel becomes {@code p / 255}, then,
 * when a {@link Standardization} is set, {@code (p / 255 - mean[f]) / std[f]} per pixel position {@code f}.
 *
 * <p>A data set is immutable: {@link #subset}, {@link #shuffled}, {@link #first}, {@link #as} and
 * {@link #standardized} return new ones. Shuffling and subsetting are deterministic functions of the seed
 * (a {@link SplittableRandom} with that seed driving a Fisher-Yates shuffle), the same on every machine.
 */
public final class Dataset {

    /** The shape of the image tensors. */
    public enum Layout {
        /** {@code [N, channels, rows, cols]}: for convolutional models. */
        IMAGES,
        /** {@code [N, channels * rows * cols]}: for fully connected models. */
        FLAT
    }

    /**
     * Per-pixel standardisation: feature {@code f} (a pixel position, in units of {@code p / 255}) is mapped to
     * {@code (x - mean[f]) / std[f]}. A constant pixel position (population standard deviation 0, such as
     * MNIST's borders) has {@code std[f] = 1}, so it maps to 0 and never to NaN.
     */
    public record Standardization(double[] mean, double[] std) {
        /** Checks that both arrays have the same length and every {@code std} is positive. */
        public Standardization {
            if (mean.length != std.length) {
                throw new IllegalArgumentException(mean.length + " means but " + std.length + " deviations");
            }
            for (double s : std) {
                if (!(s > 0)) {
                    throw new IllegalArgumentException("standard deviations must be positive, got " + s);
                }
            }
            mean = mean.clone();
            std = std.clone();
        }

        /** The mean and population standard deviation of every pixel position of {@code d} (the training split). */
        public static Standardization of(Dataset d) {
            int f = d.features();
            int n = d.size();
            if (n == 0) {
                throw new IllegalArgumentException("cannot standardise on an empty data set");
            }
            double[] sum = new double[f];
            for (int i = 0; i < n; i++) {
                int base = i * f;
                for (int j = 0; j < f; j++) {
                    sum[j] += (d.pixels[base + j] & 0xFF) / 255.0;
                }
            }
            double[] mean = new double[f];
            for (int j = 0; j < f; j++) {
                mean[j] = sum[j] / n;
            }
            double[] sq = new double[f];
            for (int i = 0; i < n; i++) {
                int base = i * f;
                for (int j = 0; j < f; j++) {
                    double c = (d.pixels[base + j] & 0xFF) / 255.0 - mean[j];
                    sq[j] += c * c;
                }
            }
            double[] std = new double[f];
            for (int j = 0; j < f; j++) {
                double s = Math.sqrt(sq[j] / n);
                std[j] = s > 0 ? s : 1.0;
            }
            return new Standardization(mean, std);
        }

        /**
         * One mean and one population standard deviation over every pixel of {@code d} (all positions and
         * points together), repeated for each position: the authors' {@code transforms.Normalize((0.1307,),
         * (0.3081,))}, which are these two numbers on MNIST's 60,000 training images. A constant data set gets
         * {@code std = 1}.
         */
        public static Standardization ofAllPixels(Dataset d) {
            int f = d.features();
            long count = (long) d.size() * f;
            if (count == 0) {
                throw new IllegalArgumentException("cannot standardise on an empty data set");
            }
            double sum = 0;
            for (int i = 0; i < count; i++) {
                sum += (d.pixels[i] & 0xFF) / 255.0;
            }
            double mean = sum / count;
            double sq = 0;
            for (int i = 0; i < count; i++) {
                double c = (d.pixels[i] & 0xFF) / 255.0 - mean;
                sq += c * c;
            }
            double s = Math.sqrt(sq / count);
            double[] means = new double[f];
            double[] stds = new double[f];
            Arrays.fill(means, mean);
            Arrays.fill(stds, s > 0 ? s : 1.0);
            return new Standardization(means, stds);
        }

        @Override
        public double[] mean() {
            return mean.clone();
        }

        @Override
        public double[] std() {
            return std.clone();
        }
    }

    /** One mini-batch: the images as a tensor in the data set's encoding, their labels and their indices. */
    public record Batch(Tensor images, int[] labels, int[] indices) {
    }

    private final String name;
    private final String source;
    private final int channels;
    private final int rows;
    private final int cols;
    private final byte[] pixels;
    private final int[] labels;
    private final int classes;
    private final DType dtype;
    private final Layout layout;
    private final Standardization standardization;

    private Dataset(String name, String source, int channels, int rows, int cols, byte[] pixels, int[] labels,
                    int classes, DType dtype, Layout layout, Standardization standardization) {
        this.name = name;
        this.source = source;
        this.channels = channels;
        this.rows = rows;
        this.cols = cols;
        this.pixels = pixels;
        this.labels = labels;
        this.classes = classes;
        this.dtype = dtype;
        this.layout = layout;
        this.standardization = standardization;
    }

    /**
     * A data set of {@code labels.length} points with the given pixels (copied; {@code channels*rows*cols}
     * bytes per point) and labels (each in {@code 0 .. classes-1}); encoding F32, {@link Layout#IMAGES}, no
     * standardisation. {@code source} says where it came from (a path or {@code classpath:...}).
     */
    public static Dataset of(String name, String source, int channels, int rows, int cols, byte[] pixels,
                             int[] labels, int classes) {
        Objects.requireNonNull(name, "name");
        if (channels < 1 || rows < 1 || cols < 1) {
            throw new IllegalArgumentException("bad image shape " + channels + " x " + rows + " x " + cols);
        }
        if (classes < 1) {
            throw new IllegalArgumentException("class count must be positive, got " + classes);
        }
        long per = (long) channels * rows * cols;
        if (per * labels.length != pixels.length) {
            throw new IllegalArgumentException(pixels.length + " pixels do not make " + labels.length
                    + " images of " + channels + " x " + rows + " x " + cols);
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " at index " + i + " is out of range 0.."
                        + (classes - 1));
            }
        }
        return new Dataset(name, source, channels, rows, cols, pixels.clone(), labels.clone(), classes,
                DType.F32, Layout.IMAGES, null);
    }

    /**
     * Reads a pair of IDX files (images and labels, raw or gzip) into a single-channel data set. The counts
     * must agree; labels must be in {@code 0 .. classes-1}.
     */
    public static Dataset readIdx(String name, Path imagesFile, Path labelsFile, int classes) {
        return readIdx(name, imagesFile, labelsFile, classes, null);
    }

    /**
     * Reads the first {@code limit} points of a pair of IDX files (all when {@code limit} is null or not
     * positive, or the files hold fewer), reading no further into either file. The declared counts must agree
     * and be positive; labels must be in {@code 0 .. classes-1}.
     */
    public static Dataset readIdx(String name, Path imagesFile, Path labelsFile, int classes, Integer limit) {
        long n = limit == null || limit < 1 ? -1 : limit;
        Idx.Read im = Idx.read(imagesFile, 3, n);
        Idx.Read lab = Idx.read(labelsFile, 1, n);
        checkCounts(imagesFile.toString(), im.dims()[0], labelsFile.toString(), lab.dims()[0]);
        return fromIdx(name, imagesFile.toString(), Idx.images(im), labelsFile.toString(),
                Idx.checkLabels(labelsFile.toString(), lab.data(), classes), classes);
    }

    /** Same as {@link #readIdx(String, Path, Path, int)} for already-read content (e.g. class-path resources). */
    static Dataset fromIdx(String name, String imagesName, Idx.Images im, String labelsName, int[] lab,
                           int classes) {
        checkCounts(imagesName, im.count(), labelsName, lab.length);
        return new Dataset(name, imagesName, 1, im.rows(), im.cols(), im.pixels(), lab, classes,
                DType.F32, Layout.IMAGES, null);
    }

    static void checkCounts(String imagesName, int images, String labelsName, int labels) {
        if (images == 0) {
            throw new DataFileException(imagesName, "holds 0 images: a data set needs at least one point", null);
        }
        if (images != labels) {
            throw new DataFileException(labelsName, "has " + labels + " labels but " + imagesName + " has "
                    + images + " images: they must be the same count", null);
        }
    }

    // ------------------------------------------------------------------ properties

    /** The data set's name, e.g. {@code mnist/train}. */
    public String name() {
        return name;
    }

    /** Where the data came from: the image file's path, or {@code classpath:...}. */
    public String source() {
        return source;
    }

    /** Number of points N. */
    public int size() {
        return labels.length;
    }

    /** Channels per image (1 for MNIST, 3 for CIFAR-10). */
    public int channels() {
        return channels;
    }

    /** Image height in pixels. */
    public int rows() {
        return rows;
    }

    /** Image width in pixels. */
    public int cols() {
        return cols;
    }

    /** Pixels per image: {@code channels * rows * cols}. */
    public int features() {
        return channels * rows * cols;
    }

    /** Number of classes; labels are in {@code 0 .. classes-1}. */
    public int classes() {
        return classes;
    }

    /** Label of point {@code i}. */
    public int label(int i) {
        return labels[i];
    }

    /** All labels (a copy). */
    public int[] labels() {
        return labels.clone();
    }

    /** Raw pixel {@code f} (0..255) of point {@code i}. */
    public int pixel(int i, int f) {
        Objects.checkIndex(f, features());
        return pixels[i * features() + f] & 0xFF;
    }

    /** How many points carry each label. */
    public int[] classCounts() {
        int[] c = new int[classes];
        for (int l : labels) {
            c[l]++;
        }
        return c;
    }

    /** Element type of {@link #images()}. */
    public DType dtype() {
        return dtype;
    }

    /** Shape convention of {@link #images()}. */
    public Layout layout() {
        return layout;
    }

    /** The standardisation applied by {@link #images()}, or null for plain {@code p / 255}. */
    public Standardization standardization() {
        return standardization;
    }

    // ------------------------------------------------------------------ encoding

    /** The same data, converted to {@code t} by {@link #images()}. */
    public Dataset as(DType t) {
        return new Dataset(name, source, channels, rows, cols, pixels, labels, classes, Objects.requireNonNull(t),
                layout, standardization);
    }

    /** The same data, shaped by {@code l} in {@link #images()}. */
    public Dataset as(Layout l) {
        return new Dataset(name, source, channels, rows, cols, pixels, labels, classes, dtype,
                Objects.requireNonNull(l), standardization);
    }

    /**
     * The same data, standardised per pixel by {@code s} (compute it on the training split with
     * {@link Standardization#of} and apply the same one to the test split); null removes it.
     */
    public Dataset standardized(Standardization s) {
        if (s != null && s.mean.length != features()) {
            throw new IllegalArgumentException("standardisation has " + s.mean.length + " features, data set "
                    + name + " has " + features());
        }
        return new Dataset(name, source, channels, rows, cols, pixels, labels, classes, dtype, layout, s);
    }

    /** All images as one new tensor, in this data set's dtype, layout and standardisation. */
    public Tensor images() {
        int[] all = new int[size()];
        Arrays.setAll(all, i -> i);
        return images(all);
    }

    /** The images of the points {@code indices}, in that order, as one new tensor. */
    public Tensor images(int[] indices) {
        int f = features();
        int[] shape = layout == Layout.IMAGES ? new int[] {indices.length, channels, rows, cols}
                : new int[] {indices.length, f};
        long bytes = MemoryBudget.bytes(MemoryBudget.bytes(indices.length, f), dtype.byteSize());
        long budget = MemoryBudget.tensorBytes();
        if (bytes > budget) {
            throw new UserException(name + ": " + MemoryBudget.count(indices.length) + " images of " + f
                    + " values as " + dtype.longName() + " need " + MemoryBudget.show(bytes) + "; this JVM can use "
                    + MemoryBudget.show(budget) + ": use fewer points (--limit N) or give it more memory ("
                    + MemoryBudget.FIX + ")");
        }
        Tensor t = Tensor.zeros(dtype, shape);
        MemorySegment seg = t.segment();
        double[] mean = standardization == null ? null : standardization.mean;
        double[] std = standardization == null ? null : standardization.std;
        long at = 0;
        for (int idx : indices) {
            Objects.checkIndex(idx, size());
            int base = idx * f;
            for (int j = 0; j < f; j++) {
                double v = (pixels[base + j] & 0xFF) / 255.0;
                if (mean != null) {
                    v = (v - mean[j]) / std[j];
                }
                dtype.set(seg, at++, v);
            }
        }
        return t;
    }

    // ------------------------------------------------------------------ selection

    /** The points {@code indices}, in that order (repeats allowed). */
    public Dataset select(int[] indices) {
        int f = features();
        byte[] px = new byte[Math.multiplyExact(indices.length, f)];
        int[] lab = new int[indices.length];
        for (int k = 0; k < indices.length; k++) {
            int i = Objects.checkIndex(indices[k], size());
            System.arraycopy(pixels, i * f, px, k * f, f);
            lab[k] = labels[i];
        }
        return new Dataset(name, source, channels, rows, cols, px, lab, classes, dtype, layout, standardization);
    }

    /** The first {@code n} points (all when {@code n >= size()}). */
    public Dataset first(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be non-negative, got " + n);
        }
        int[] idx = new int[Math.min(n, size())];
        Arrays.setAll(idx, i -> i);
        return select(idx);
    }

    /** A permutation of {@code 0 .. n-1} determined by {@code seed} (Fisher-Yates on a SplittableRandom). */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        Arrays.setAll(p, i -> i);
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /** All points in an order determined by {@code seed}. */
    public Dataset shuffled(long seed) {
        return select(permutation(size(), seed));
    }

    /**
     * {@code n} distinct points drawn uniformly without replacement, determined by {@code seed}, kept in their
     * original order. {@code n} must not exceed {@link #size()}.
     */
    public Dataset subset(int n, long seed) {
        if (n < 0 || n > size()) {
            throw new IllegalArgumentException("cannot take " + n + " points from " + name + ", which has "
                    + size());
        }
        int[] idx = Arrays.copyOf(permutation(size(), seed), n);
        Arrays.sort(idx);
        return select(idx);
    }

    /**
     * One epoch of mini-batches: the points in the order {@link #permutation permutation(size(), seed)}, cut
     * into batches of {@code size} (the last one smaller when {@code size} does not divide {@link #size()}).
     * Batch tensors are made lazily, one per {@code next()}. Use a different seed per epoch.
     */
    public Iterable<Batch> batches(int size, long seed) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + size);
        }
        int[] order = permutation(size(), seed);
        return () -> new Iterator<>() {
            private int at;

            @Override
            public boolean hasNext() {
                return at < order.length;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int end = Math.min(order.length, at + size);
                int[] idx = Arrays.copyOfRange(order, at, end);
                at = end;
                int[] lab = new int[idx.length];
                for (int k = 0; k < idx.length; k++) {
                    lab[k] = labels[idx[k]];
                }
                return new Batch(images(idx), lab, idx);
            }
        };
    }

    @Override
    public String toString() {
        return name + " (" + size() + " images of " + channels + " x " + rows + " x " + cols + ", " + classes
                + " classes, from " + source + ")";
    }
}
