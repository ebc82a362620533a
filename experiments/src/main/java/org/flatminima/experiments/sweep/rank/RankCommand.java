package org.flatminima.experiments.sweep.rank;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DirectoryLock;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima rank DIR}: ranks the measures of a finished (or partly finished) sweep by Kendall's tau with the
 * generalisation gap and by the granulated coefficient, and writes {@code rank.csv}, {@code rank.md},
 * {@code report.md}, {@code report.html} and {@code plots/} into DIR ({@link SweepReport#rankSweep}). Reads only
 * {@code DIR/table.csv} (and the name in {@code DIR/sweep.yaml}); needs no Spark.
 */
@Command(name = "rank",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Ranks a sweep's flatness and margin measures by Kendall's tau with the generalisation gap.",
        footer = {
                "",
                "Networks: one per finished run, at its last checkpoint (or --step); diverged runs are counted and",
                "left out. Tau is Kendall's tau-b across the networks, with a percentile bootstrap interval that",
                "resamples networks; Psi is the granulated coefficient of Jiang et al. (ICLR 2020) over the",
                "hyperparameters that vary (seeds are replicates, not an axis).",
                "Writes DIR/rank.csv, DIR/rank.md, DIR/report.md, DIR/report.html and DIR/plots/ atomically.",
                "Exit status: 0 success, 1 environment error or bug, 2 user error.",
        })
public final class RankCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "the sweep's output directory (holding table.csv)")
    Path dir;

    @Option(names = "--target", defaultValue = "gap_accuracy",
            description = "gap_accuracy, gap_loss, test_accuracy or test_loss (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--step", paramLabel = "N",
            description = "take every run at checkpoint N (default: each run's last checkpoint)")
    Long step;

    @Option(names = "--seeds", defaultValue = "paired", paramLabel = "paired|mean",
            description = "seeds in the granulated coefficient: paired (compare networks of the same seed) or mean "
                    + "(average each configuration over its seeds first) (default: ${DEFAULT-VALUE})")
    String seeds;

    @Option(names = "--resamples", defaultValue = "1000", paramLabel = "B",
            description = "bootstrap resamples (default: ${DEFAULT-VALUE})")
    int resamples;

    @Option(names = "--seed", defaultValue = "0", description = "bootstrap seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(dir)) {
            throw new UserException("no sweep directory " + dir + ": name the --out directory of a 'flatminima sweep'");
        }
        RankOptions options = RankOptions.builder().target(target).step(step).seeds(RankOptions.Seeds.parse(seeds))
                .resamples(resamples).seed(seed).build();
        MeasureRanking r;
        try (DirectoryLock lock = DirectoryLock.acquire(dir, "rank", "DIR")) {
            r = SweepReport.rankSweep(dir, options);
        }
        PrintWriter out = spec.commandLine().getOut();
        Networks n = r.networks();
        out.printf(Locale.ROOT, "rank: %d networks (%d runs: %d finished, %d diverged) against %s%n",
                n.networks().size(), n.runs(), n.finished(), n.diverged(), options.target());
        for (MeasureRanking.Row row : r.rows()) {
            out.printf(Locale.ROOT, "  %-26s tau %7s  [%s, %s]  Psi %7s  %s%n", row.measure(), RankFiles.num(row.tau()),
                    RankFiles.num(row.low()), RankFiles.num(row.high()), RankFiles.num(row.granulated().psi()),
                    row.verdict().label());
        }
        out.printf("report: %s (and %s, %s)%n", dir.resolve("report.md"), dir.resolve("report.html"),
                dir.resolve("rank.csv"));
        out.flush();
        return 0;
    }
}
