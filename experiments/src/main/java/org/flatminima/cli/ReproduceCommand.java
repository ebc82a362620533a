package org.flatminima.cli;

import org.flatminima.experiments.UserException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.flatminima.engine.Engine;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.reproduce.ArchOverride;
import org.flatminima.experiments.reproduce.DataOverride;
import org.flatminima.experiments.reproduce.Experiment;
import org.flatminima.experiments.reproduce.Overrides;
import org.flatminima.experiments.reproduce.Progress;
import org.flatminima.experiments.reproduce.ReproduceContext;
import org.flatminima.experiments.reproduce.Reproduction;
import org.flatminima.experiments.reproduce.Scale;
import org.flatminima.experiments.reproduce.Standardize;
import org.flatminima.kernels.DType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code flatminima reproduce}: runs the paper's experiments and writes {@code <out>/report.md}. Finished
 * experiments are reused (see {@link Reproduction}) unless {@code --force}.
 */
@Command(name = "reproduce",
        mixinStandardHelpOptions = true,
        usageHelpAutoWidth = true,
        header = "Runs the paper's experiments E1-E5 and writes a report with tables and plots.",
        footer = {
                "",
                "Experiments: E1 affine closed form, E2 flatness vs margins during training, E3 batch size,",
                "E4 last-layer scaling, E5 reparametrisation (Dinh et al.).",
                "A finished experiment leaves <out>/<id>/done.json and is not recomputed unless --force.",
        })
public final class ReproduceCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--scale", defaultValue = "quick", paramLabel = "quick|full",
            description = "quick (minutes, embedded MNIST subset) or full (default: ${DEFAULT-VALUE})")
    String scale;

    @Option(names = "--only", split = ",", paramLabel = "IDS", description = "run only these experiments, e.g. E1,E4")
    List<String> only;

    @Option(names = "--seed", defaultValue = "0", description = "master seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", defaultValue = "out/reproduce", paramLabel = "DIR",
            description = "output directory (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--force", description = "recompute experiments that already finished")
    boolean force;

    @Option(names = "--cache", paramLabel = "DIR",
            description = "data cache holding the fetched full MNIST (default: $FLATMINIMA_CACHE, else ~/.cache/flatminima)")
    Path cache;

    @Option(names = "--fashion-dir", paramLabel = "DIR",
            description = "Fashion-MNIST directory (default: $FLATMINIMA_FASHION_DIR, else /usr/share/datasets/fashion-mnist)")
    Path fashionDir;

    @Option(names = "--cifar-dir", paramLabel = "DIR",
            description = "CIFAR-10: the cifar-10-batches-bin directory or cifar-10-binary.tar.gz (default: "
                    + "$FLATMINIMA_CIFAR10_DIR, else the cache's cifar-10, from 'flatminima data fetch cifar10')")
    Path cifarDir;

    @Option(names = "--data", split = ",", paramLabel = "NAME[,NAME...]",
            description = "run E2 and E3 on these data sets instead of their own, e.g. cifar10 (E2 runs on each, E3 "
                    + "on the first; their models get the data's input size); the other experiments keep theirs")
    List<String> data;

    @Option(names = "--arch", paramLabel = "SPEC",
            description = {"train this model in E2 and E3 instead of their own; repeatable (--arch A --arch B), "
                    + "e.g. lenet:1x28x28-10, simplenet:1x28x28-10, keskar-c3:1x28x28-10, simplenet-bn:1x28x28-10, "
                    + "any spec of docs/models.md. E2 trains its affine model plus each one, each at the learning "
                    + "rate of its own non-affine models (0.05, momentum 0.9), the authors' estimator on the first; "
                    + "E3 takes exactly one. With --data the specs get the data's input shape"})
    List<String> arch;

    @Option(names = "--standardize", paramLabel = "none|global|per-pixel",
            description = {"scale E2's and E3's inputs: none (pixels / 255, their own), global (one mean and "
                    + "deviation over all pixels of the training points: the authors' Normalize((0.1307,), "
                    + "(0.3081,)) on MNIST) or per-pixel; the test points get the training points' statistics"})
    String standardize;

    @Option(names = "--epochs", paramLabel = "N",
            description = "train E2's models for N epochs instead of its configuration's (quick 4, full 30); in E3, "
                    + "the small and the large batch of both regimes for N epochs (quick 4, full 15), the controls "
                    + "scaled with them")
    Integer epochs;

    @Option(names = "--seeds", paramLabel = "N",
            description = "train N networks (seeds) in every experiment instead of its configuration's (quick: 2 in "
                    + "E2 and E3, 3 in E1, 5 in E4 and E5; full: 3, 5 in E4 and E5); seed k's network depends only "
                    + "on --seed and k, so E2 and E3 reuse the checkpoints of the seeds a run with fewer already "
                    + "computed")
    Integer seeds;

    @Override
    public Integer call() throws Exception {
        Scale s;
        List<Experiment> experiments;
        try {
            s = Scale.parse(scale);
            experiments = Reproduction.select(only == null ? List.of() : only);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        DataSets dataSets = new DataSets(DataSets.Locations.fromEnvironment().withCache(cache)
                .withFashionDir(fashionDir).withCifarDir(cifarDir));
        PrintWriter o = spec.commandLine().getOut();
        if (epochs != null && epochs < 1) {
            throw new UserException("--epochs " + epochs + " is not a number of epochs: give N >= 1");
        }
        if (seeds != null && seeds < 1) {
            throw new UserException("--seeds " + seeds + " is not a number of seeds: give N >= 1");
        }
        Overrides given = Overrides.NONE.withData(data).withArchs(arch)
                .withStandardize(standardize == null ? null : Standardize.parse(standardize))
                .withEpochs(epochs == null ? 0 : epochs).withSeeds(seeds == null ? 0 : seeds);
        ReproduceContext ctx = new ReproduceContext(out, seed, s, dataSets, DType.F64,
                System.console() == null ? new LineProgress(o) : new BarProgress(), given);
        StringBuilder overrides = new StringBuilder(); // printed once the overrides are known to apply
        if (!ctx.archs().isEmpty()) {
            overrides.append(override("--arch", String.join(" --arch ", ctx.archs()), experiments,
                    ArchOverride.EXPERIMENTS, "trained by %s", "keep their own models"));
        }
        if (!ctx.data().isEmpty()) {
            overrides.append(override("--data", String.join(",", ctx.data()), experiments, DataOverride.EXPERIMENTS,
                    "%s run on it", "keep their own data sets"));
        }
        if (given.standardize() != null) {
            overrides.append(override("--standardize", given.standardize().label(), experiments,
                    Standardize.EXPERIMENTS, "inputs of %s standardised so", "keep pixels / 255"));
        }
        if (given.epochs() > 0) {
            overrides.append(override("--epochs", Integer.toString(given.epochs()), experiments,
                    Overrides.EPOCHS_EXPERIMENTS, "%s trains that long", "keep their own lengths"));
        }
        if (given.seeds() > 0) {
            overrides.append(String.format("--seeds %d: %s train%s %d network%s each%n", given.seeds(),
                    String.join(", ", experiments.stream().map(Experiment::id).toList()),
                    experiments.size() == 1 ? "s" : "", given.seeds(), given.seeds() == 1 ? "" : "s"));
        }
        Reproduction.checkData(experiments, ctx); // a missing data set fails here, before anything runs
        o.print(overrides);
        o.printf("reproduce: %s at %s scale, seed %d, on %s (%d threads); output in %s%n",
                String.join(",", experiments.stream().map(Experiment::id).toList()), s.label(), seed,
                Engine.backend().name(), Engine.backend().threads(), out);
        o.flush();
        List<Reproduction.Outcome> done = Reproduction.run(experiments, ctx, force);
        for (Reproduction.Outcome r : done) {
            o.printf(Locale.ROOT, "%s %s in %.1f s%s%n", r.id(), r.reused() ? "reused (computed" : "done",
                    r.wallSeconds(), r.reused() ? ", --force to recompute)" : "");
        }
        o.printf("report: %s (and %s)%n", out.resolve("report.md"), out.resolve("report.html"));
        o.flush();
        return 0;
    }

    /**
     * The line saying which of {@code experiments} take override {@code option} (its value {@code value}; {@code
     * verb} a format naming them, e.g. "trained by %s"); none of them is a {@link UserException}.
     */
    private static String override(String option, String value, List<Experiment> experiments, List<String> ids,
                                   String verb, String othersKeep) {
        List<String> taking = experiments.stream().map(Experiment::id).filter(ids::contains).toList();
        if (taking.isEmpty()) {
            throw new UserException(option + " applies to " + String.join(" and ", ids) + " only: add them to "
                    + "--only, or drop " + option);
        }
        List<String> others = experiments.stream().map(Experiment::id).filter(id -> !taking.contains(id)).toList();
        return String.format("%s %s: %s%s%n", option, value, String.format(verb, String.join(" and ", taking)),
                others.isEmpty() ? "" : "; " + String.join(", ", others) + " " + othersKeep);
    }

    /** A progress bar per experiment (interactive terminals). */
    static final class BarProgress implements Progress {
        private ProgressBar bar;

        @Override
        public void start(String task, long max) {
            finish();
            bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setStyle(ProgressBarStyle.ASCII)
                    .continuousUpdate().build();
        }

        @Override
        public void step(long units, String message) {
            if (bar != null) {
                bar.stepBy(units);
                if (message != null) {
                    bar.setExtraMessage(" " + message);
                }
            }
        }

        @Override
        public void finish() {
            if (bar != null) {
                bar.close();
                bar = null;
            }
        }
    }

    /** Without a console: one line when an experiment starts, nothing else. */
    static final class LineProgress implements Progress {
        private final PrintWriter out;

        LineProgress(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void start(String task, long max) {
            out.println("running " + task);
            out.flush();
        }

        @Override
        public void step(long units, String message) {
        }

        @Override
        public void finish() {
        }
    }
}
