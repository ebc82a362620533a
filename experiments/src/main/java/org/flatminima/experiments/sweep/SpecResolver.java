package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.core.JsonPointer;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.train.TrainConfig;

/**
 * Turns the settings of one run (the top of the file, overridden by a {@code runs} entry and by one value of each
 * {@code grid} axis) into a {@link RunConfig}: keys that are not set take the builders' defaults
 * ({@link TrainConfig#builder()}, {@link RunConfig#builder()}); checkpoint epochs become steps; the values the
 * builders refuse are reported with the run's label and the line of the key at fault.
 */
final class SpecResolver {

    /** One key's value and where it was written. */
    record Setting(SpecKey key, Object value, JsonPointer at) {
    }

    /** A command-line option named in a builder's message, e.g. {@code --weight-decay}. */
    private static final Pattern OPTION = Pattern.compile("--([a-z]+(?:-[a-z]+)*)");
    /** A builder's example of an option, e.g. {@code e.g. --milestones 30,60}. */
    private static final Pattern EXAMPLE = Pattern.compile("e\\.g\\. --([a-z]+(?:-[a-z]+)*) ([0-9.]+(?:,[0-9.]+)*)");

    private final SpecYaml yaml;
    private final int threads;

    SpecResolver(SpecYaml yaml, int threads) {
        this.yaml = yaml;
        this.threads = threads;
    }

    /** The run these settings describe; {@code label} names it in errors (e.g. {@code {lr: 0.1, seed: 2}}). */
    RunConfig resolve(Map<SpecKey, Setting> s, String label) {
        String dataset = (String) required(s, SpecKey.DATASET, label, "dataset: embedded");
        String arch = (String) required(s, SpecKey.ARCH, label, "arch: mlp:784-100-10");
        DataSetFacts facts = DataSetFacts.of(dataset);
        checkModelFits(s, label, arch, dataset, facts);

        TrainConfig.Builder tb = TrainConfig.builder();
        for (Setting v : s.values()) {
            switch (v.key()) {
                case OPTIMIZER -> tb.optimizer((String) v.value());
                case LR -> tb.lr((Double) v.value());
                case MOMENTUM -> tb.momentum((Double) v.value());
                case NESTEROV -> tb.nesterov((Boolean) v.value());
                case WEIGHT_DECAY -> tb.weightDecay((Double) v.value());
                case BATCH_SIZE -> tb.batchSize((Integer) v.value());
                case EPOCHS -> tb.epochs((Integer) v.value());
                case SCHEDULE -> tb.schedule((String) v.value());
                case MILESTONES -> tb.milestones((long[]) v.value());
                case GAMMA -> tb.gamma((Double) v.value());
                case SEED -> tb.seed((Long) v.value());
                case LOG_EVERY -> tb.logEvery((Integer) v.value());
                case CHECKPOINT_EVERY -> tb.checkpointEvery((Long) v.value());
                default -> {
                }
            }
        }
        TrainConfig train = build(s, label, tb::build);

        int trainPoints = points(s, SpecKey.TRAIN_POINTS, label, facts.train(), dataset + "'s " + facts.train()
                + " training points");
        int testPoints = points(s, SpecKey.TEST_POINTS, label, facts.test(), dataset + "'s " + facts.test()
                + " test points");
        int n = trainPoints > 0 ? trainPoints : facts.train();
        int nTest = testPoints > 0 ? testPoints : facts.test();
        train = train.toBuilder().checkpointAt(checkpointSteps(s, label, train, n)).build();

        RunConfig.Builder rb = RunConfig.builder().dataset(dataset).arch(arch).train(train).trainPoints(trainPoints)
                .testPoints(testPoints).threads(threads);
        RunConfig defaults = RunConfig.builder().arch(arch).build();
        rb.measureTrainPoints(Math.min(defaults.measureTrainPoints(), n));
        rb.measureTestPoints(Math.min(defaults.measureTestPoints(), nTest));
        for (Setting v : s.values()) {
            switch (v.key()) {
                case STANDARDIZE -> rb.standardize((Boolean) v.value());
                case DTYPE -> rb.dtype((String) v.value());
                case MEASURES -> {
                    @SuppressWarnings("unchecked")
                    List<String> m = (List<String>) v.value();
                    rb.measures(m);
                }
                case MEASURE_TRAIN_POINTS -> rb.measureTrainPoints(measured(v, label, n, "training"));
                case MEASURE_TEST_POINTS -> rb.measureTestPoints(measured(v, label, nTest, "test"));
                case EIGENVALUES -> rb.eigenvalues((Integer) v.value());
                default -> {
                }
            }
        }
        return build(s, label, rb::build);
    }

    private Object required(Map<SpecKey, Setting> s, SpecKey key, String label, String example) {
        Setting v = s.get(key);
        if (v == null) {
            throw new UserException(yaml.source() + ": " + key.yaml() + " is missing" + (label.isEmpty() ? ""
                    : " in the run " + label) + ": give it at the top of the file (e.g. " + example
                    + "), in every entry of runs, or as an axis of grid");
        }
        return v.value();
    }

    /** The model must take the data set's images and give its classes. */
    private void checkModelFits(Map<SpecKey, Setting> s, String label, String arch, String dataset,
                                DataSetFacts f) {
        ModelSpec m = ModelSpec.parse(arch);
        int[] shape = m.sampleShape();
        long values = 1;
        for (int d : shape) {
            values *= d;
        }
        boolean fits = values == f.features()
                && (shape.length != 3 || shape[0] == f.channels() && shape[1] == f.rows() && shape[2] == f.cols());
        if (!fits) {
            throw error(s, SpecKey.ARCH, label, "model " + arch + " takes inputs of shape "
                    + java.util.Arrays.toString(shape) + " but " + dataset + " has " + f.channels() + "x" + f.rows()
                    + "x" + f.cols() + " images (" + f.features() + " values): change arch or dataset");
        }
        if (m.classes() != f.classes()) {
            throw error(s, SpecKey.ARCH, label, "model " + arch + " has " + m.classes() + " outputs but " + dataset
                    + " has " + f.classes() + " classes: change arch's last size to " + f.classes());
        }
    }

    /** A point count: 0 (all) or at most the data set's {@code max}. */
    private int points(Map<SpecKey, Setting> s, SpecKey key, String label, int max, String what) {
        Setting v = s.get(key);
        int p = v == null ? 0 : (Integer) v.value();
        if (p < 0 || p > max) {
            throw error(s, key, label, key.yaml() + " must be in [0, " + max + "] (0: all of " + what + "), got "
                    + p);
        }
        return p;
    }

    private int measured(Setting v, String label, int n, String split) {
        int p = (Integer) v.value();
        if (p < 0 || p > n) {
            throw error(Map.of(v.key(), v), v.key(), label, v.key().yaml() + " must be in [0, " + n + "] (0: all "
                    + "of the run's " + n + " " + split + " points), got " + p);
        }
        return p;
    }

    /**
     * {@code checkpoint_at} and {@code checkpoint_epochs} (epoch e is step {@code round(e * steps per epoch)}, at
     * least 1) as one ascending list of steps, without the steps a run checkpoints anyway (the last one and the
     * multiples of {@code checkpoint_every}), so that the same checkpoints written two ways give the same run id.
     */
    private long[] checkpointSteps(Map<SpecKey, Setting> s, String label, TrainConfig t, int n) {
        long total = t.totalSteps(n);
        int spe = t.stepsPerEpoch(n);
        TreeSet<Long> steps = new TreeSet<>();
        Setting at = s.get(SpecKey.CHECKPOINT_AT);
        if (at != null) {
            for (long step : (long[]) at.value()) {
                if (step > total) {
                    throw error(s, SpecKey.CHECKPOINT_AT, label, "checkpoint_at step " + step + " is after the run's "
                            + "last step " + total + " (" + t.epochs() + " epochs of " + spe + " steps): lower it");
                }
                steps.add(step);
            }
        }
        Setting ep = s.get(SpecKey.CHECKPOINT_EPOCHS);
        if (ep != null) {
            for (double e : (double[]) ep.value()) {
                if (e > t.epochs()) {
                    throw error(s, SpecKey.CHECKPOINT_EPOCHS, label, "checkpoint_epochs " + SpecKey.show(e)
                            + " is after the run's last epoch " + t.epochs() + ": lower it");
                }
                steps.add(Math.max(1, Math.round(e * spe)));
            }
        }
        steps.removeIf(step -> step == total || t.checkpointEvery() > 0 && step % t.checkpointEvery() == 0);
        return steps.stream().mapToLong(Long::longValue).toArray();
    }

    /** Runs a builder; its one-line error gets the run's label, the spec's key names and the key's line. */
    private <T> T build(Map<SpecKey, Setting> s, String label, java.util.function.Supplier<T> builder) {
        try {
            return builder.get();
        } catch (UserException e) {
            StringBuilder msg = new StringBuilder();
            Matcher m = OPTION.matcher(yamlExamples(e.getMessage()));
            SpecKey blamed = null;
            while (m.find()) {
                SpecKey k = SpecKey.of(m.group(1).replace('-', '_'));
                m.appendReplacement(msg, Matcher.quoteReplacement(k == null ? m.group() : k.yaml()));
                if (blamed == null && k != null) {
                    blamed = k;
                }
            }
            m.appendTail(msg);
            if (blamed == null) { // RunConfig's messages start with the key, e.g. "eigenvalues must be at least 1"
                blamed = SpecKey.of(msg.toString().split(" ", 2)[0]);
            }
            throw error(s, blamed, label, msg.toString());
        }
    }

    /** {@code e.g. --milestones 30,60} as YAML: {@code e.g. milestones: [30, 60]}. */
    private static String yamlExamples(String message) {
        StringBuilder out = new StringBuilder();
        Matcher m = EXAMPLE.matcher(message);
        while (m.find()) {
            SpecKey k = SpecKey.of(m.group(1).replace('-', '_'));
            String v = m.group(2);
            String yamlValue = k != null && k.type() == SpecKey.Type.LONG_LIST
                    ? "[" + String.join(", ", v.split(",")) + "]" : v;
            m.appendReplacement(out, Matcher.quoteReplacement(k == null ? m.group()
                    : "e.g. " + k.yaml() + ": " + yamlValue));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** {@code SOURCE line N: in the run LABEL: message}, the line being where {@code key} was set. */
    private UserException error(Map<SpecKey, Setting> s, SpecKey key, String label, String message) {
        Setting v = key == null ? null : s.get(key);
        int line = v == null ? -1 : yaml.line(v.at());
        return new UserException(yaml.source() + (line > 0 ? " line " + line : "") + ": "
                + (label.isEmpty() ? "" : "in the run " + label + ": ") + message);
    }
}
