package org.flatminima.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flatminima.experiments.data.DataSets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code flatminima data list}: each data set, whether and where it was found, its sizes, how to get it. */
@Command(name = "list",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Shows each data set: whether and where it was found, its sizes, and how to get it.")
public final class DataListCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "the cache directory (default: $FLATMINIMA_CACHE, else $XDG_CACHE_HOME/flatminima, "
                    + "else ~/.cache/flatminima)")
    Path cache;

    @Option(names = "--fashion-dir", paramLabel = "DIR",
            description = "a directory holding the Fashion-MNIST IDX files (default: $FLATMINIMA_FASHION_DIR, "
                    + "else /usr/share/datasets/fashion-mnist)")
    Path fashionDir;

    @Option(names = "--cifar-dir", paramLabel = "DIR",
            description = "CIFAR-10: the cifar-10-batches-bin directory or cifar-10-binary.tar.gz (default: "
                    + "$FLATMINIMA_CIFAR10_DIR, else CACHE/cifar-10)")
    Path cifarDir;

    @Override
    public Integer call() {
        DataSets sets = new DataSets(DataSets.Locations.fromEnvironment()
                .withCache(cache).withFashionDir(fashionDir).withCifarDir(cifarDir));
        PrintWriter out = spec.commandLine().getOut();
        List<DataSets.Status> all = sets.list();
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"data set", "status", "train", "test", "size", "location"});
        for (DataSets.Status s : all) {
            table.add(new String[] {
                s.name(),
                s.available() ? "found" : "missing",
                s.train() >= 0 ? Integer.toString(s.train()) : "-",
                s.test() >= 0 ? Integer.toString(s.test()) : "-",
                s.bytes() >= 0 ? megabytes(s.bytes()) : "-",
                s.location(),
            });
        }
        int[] width = new int[table.getFirst().length];
        for (String[] row : table) {
            for (int i = 0; i < row.length; i++) {
                width[i] = Math.max(width[i], row[i].length());
            }
        }
        for (String[] row : table) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                sb.append(String.format(Locale.ROOT, "%-" + width[i] + "s", row[i])).append("  ");
            }
            out.println(sb.toString().stripTrailing());
        }
        out.println();
        for (DataSets.Status s : all) {
            if (!s.available()) {
                out.println(s.name() + ": " + s.problem() + "; " + s.howToGet());
            }
        }
        out.println("sizes: points per split, and bytes on disk as stored (gzip or raw)");
        out.flush();
        return 0;
    }

    private static String megabytes(long bytes) {
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
