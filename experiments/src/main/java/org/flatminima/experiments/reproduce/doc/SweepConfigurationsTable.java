package org.flatminima.experiments.reproduce.doc;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.sweep.rank.Networks;
import org.flatminima.experiments.sweep.rank.Networks.Network;

/**
 * {@code sweep-configurations}: one row per configuration (batch size, learning rate, weight decay) of a sweep's
 * {@code table.csv}, over its seeds: the networks are those {@code flatminima rank} takes ({@link Networks#select}:
 * each finished run at its last checkpoint), so the means are of the same networks the ranking orders. Columns: the
 * three hyperparameters, the number of seeds, the step (a range when the seeds differ), mean training and test
 * accuracy (4 decimals), the mean gap (train minus test accuracy) with its sample standard deviation over the seeds
 * (divisor n - 1; 4 decimals), mean trace (1 decimal), mean median output margin (2 decimals) and mean top eigenvalue
 * (3 significant digits). A sweep that varies another hyperparameter is refused (its configurations would be mixed).
 */
final class SweepConfigurationsTable implements TableRenderer {
    static final String CSV = "table.csv";
    static final List<String> AXES = List.of("batch_size", "lr", "weight_decay");

    @Override
    public String id() {
        return "sweep-configurations";
    }

    @Override
    public String description() {
        return "a sweep over batch size, lr and weight decay: per configuration, means over the seeds at the last step";
    }

    @Override
    public List<String> files() {
        return List.of(CSV);
    }

    @Override
    public String render(Path source, Map<String, String> options) throws IOException {
        Path file = source.resolve(CSV);
        List<Map<String, String>> rows = ResultFiles.csv(source, CSV, "run_id", "status", "step", "batch_size", "lr",
                "weight_decay", "train_accuracy", "test_accuracy", "gap_accuracy", "trace", "output_margin_median",
                "top_eigenvalue");
        Networks nets = Networks.select(rows, null);
        for (String v : nets.varying()) {
            if (!AXES.contains(v)) {
                throw new UserException(file + ": the sweep also varies '" + v + "'; table '" + id()
                        + "' averages over seeds only within batch_size x lr x weight_decay");
            }
        }
        Map<List<Double>, List<Network>> groups = new TreeMap<>(Comparator.<List<Double>, Double>comparing(k -> k.get(0))
                .thenComparing(k -> k.get(1)).thenComparing(k -> k.get(2)));
        for (Network n : nets.networks()) {
            List<Double> key = new ArrayList<>();
            for (String a : AXES) {
                key.add(ResultFiles.number(n.row(), a, file));
            }
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(n);
        }
        StringBuilder b = new StringBuilder("| batch | lr | wd | seeds | steps | train acc | test acc | gap ± sd "
                + "| trace | output margin (median) | top eigenvalue |\n"
                + "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
        for (Map.Entry<List<Double>, List<Network>> g : groups.entrySet()) {
            List<Network> ns = g.getValue();
            long lo = ns.stream().mapToLong(Network::step).min().orElseThrow();
            long hi = ns.stream().mapToLong(Network::step).max().orElseThrow();
            double[] gap = values(ns, "gap_accuracy", file);
            b.append("| ").append(NumberFormats.compact(g.getKey().get(0)))
                    .append(" | ").append(NumberFormats.compact(g.getKey().get(1)))
                    .append(" | ").append(NumberFormats.compact(g.getKey().get(2)))
                    .append(" | ").append(ns.size())
                    .append(" | ").append(lo == hi ? Long.toString(lo) : lo + "–" + hi)
                    .append(" | ").append(NumberFormats.fixed(mean(values(ns, "train_accuracy", file)), 4))
                    .append(" | ").append(NumberFormats.fixed(mean(values(ns, "test_accuracy", file)), 4))
                    .append(" | ").append(NumberFormats.fixed(mean(gap), 4)).append(" ± ")
                    .append(ns.size() > 1 ? NumberFormats.fixed(sampleSd(gap), 4) : "–")
                    .append(" | ").append(NumberFormats.fixed(mean(values(ns, "trace", file)), 1))
                    .append(" | ").append(NumberFormats.fixed(mean(values(ns, "output_margin_median", file)), 2))
                    .append(" | ").append(NumberFormats.significant(mean(values(ns, "top_eigenvalue", file)), 3))
                    .append(" |\n");
        }
        return b.toString();
    }

    private static double[] values(List<Network> ns, String column, Path file) {
        double[] v = new double[ns.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = ResultFiles.number(ns.get(i).row(), column, file);
        }
        return v;
    }

    /** The arithmetic mean. */
    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** The sample standard deviation (divisor n - 1), for n >= 2. */
    static double sampleSd(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
