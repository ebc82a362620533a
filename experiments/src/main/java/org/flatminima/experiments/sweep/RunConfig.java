package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.train.TrainConfig;

/**
 * One run of a sweep, fully resolved: which data, which model, how to train it ({@link TrainConfig}) and what to
 * measure at each checkpoint. A run is a pure function of its configuration (and of the backend's last bits), so
 * its {@link #id()} is derived from it: the first 12 hexadecimal digits of the SHA-256 of {@link #canonicalJson()}
 * without {@code threads} (which does not change what a run computes). Immutable; made with {@link #builder()}.
 *
 * <p>{@link #toJson()} and {@link #fromJson(JsonNode)} round-trip exactly; the JSON keys are the sweep
 * specification's keys (snake case), so a run's {@code config.json} reads like the spec that made it.
 */
public final class RunConfig {
    /** Measures a run can take at each checkpoint (the spec's {@code measures} list). */
    public static final List<String> MEASURES = List.of("trace", "per_point_trace", "eigenvalue", "margins", "affine");

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).enable(SerializationFeature.INDENT_OUTPUT);

    private final String dataset;
    private final int trainPoints;
    private final int testPoints;
    private final boolean standardize;
    private final String arch;
    private final String dtype;
    private final TrainConfig train;
    private final List<String> measures;
    private final int measureTrainPoints;
    private final int measureTestPoints;
    private final int eigenvalues;
    private final int threads;

    private RunConfig(Builder b) {
        this.dataset = b.dataset;
        this.trainPoints = b.trainPoints;
        this.testPoints = b.testPoints;
        this.standardize = b.standardize;
        this.arch = b.arch;
        this.dtype = b.dtype;
        this.train = b.train;
        this.measures = List.copyOf(b.measures);
        this.measureTrainPoints = b.measureTrainPoints;
        this.measureTestPoints = b.measureTestPoints;
        this.eigenvalues = b.eigenvalues;
        this.threads = b.threads;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().dataset(dataset).trainPoints(trainPoints).testPoints(testPoints).standardize(standardize)
                .arch(arch).dtype(dtype).train(train).measures(measures).measureTrainPoints(measureTrainPoints)
                .measureTestPoints(measureTestPoints).eigenvalues(eigenvalues).threads(threads);
    }

    /** Data set name ({@code DataSets.NAMES}). */
    public String dataset() {
        return dataset;
    }

    /** Training points used (the first N of the training split; 0: all). */
    public int trainPoints() {
        return trainPoints;
    }

    /** Test points used (the first N of the test split; 0: all). */
    public int testPoints() {
        return testPoints;
    }

    /** Whether inputs are standardised with the training set's mean and deviation (as {@code train --standardize}). */
    public boolean standardize() {
        return standardize;
    }

    /** The model, as a canonical {@code ModelSpec} string (e.g. {@code mlp:784-100-10}). */
    public String arch() {
        return arch;
    }

    /** "f32" or "f64". */
    public String dtype() {
        return dtype;
    }

    /** Optimiser, learning rate and schedule, batch size, epochs, seed, checkpoint steps. */
    public TrainConfig train() {
        return train;
    }

    /** Which of {@link #MEASURES} to take at each checkpoint, in the order of {@link #MEASURES}. */
    public List<String> measures() {
        return measures;
    }

    public boolean measures(String measure) {
        return measures.contains(measure);
    }

    /** Training points measured at each checkpoint (the first N of the run's training points). */
    public int measureTrainPoints() {
        return measureTrainPoints;
    }

    /** Test points measured at each checkpoint (the first N of the run's test points). */
    public int measureTestPoints() {
        return measureTestPoints;
    }

    /** How many top Hessian eigenvalues "eigenvalue" computes (the table keeps the largest). */
    public int eigenvalues() {
        return eigenvalues;
    }

    /** Compute threads of the run's backend (not part of {@link #id()}). */
    public int threads() {
        return threads;
    }

    /** The stable id: 12 hexadecimal digits of the SHA-256 of the canonical JSON without {@code threads}. */
    public String id() {
        ObjectNode n = toJson();
        n.remove("threads");
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(JSON.writeValueAsString(n).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The JSON of this configuration, keys sorted (what {@link #id()} hashes, with threads). */
    public String canonicalJson() {
        try {
            return JSON.writeValueAsString(toJson());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("dataset", dataset);
        n.put("train_points", trainPoints);
        n.put("test_points", testPoints);
        n.put("standardize", standardize);
        n.put("arch", arch);
        n.put("dtype", dtype);
        n.put("optimizer", train.optimizer());
        n.put("lr", train.lr());
        n.put("momentum", train.momentum());
        n.put("nesterov", train.nesterov());
        n.put("weight_decay", train.weightDecay());
        n.put("batch_size", train.batchSize());
        n.put("epochs", train.epochs());
        n.put("schedule", train.schedule());
        ArrayNode ms = n.putArray("milestones");
        for (long m : train.milestones()) {
            ms.add(m);
        }
        n.put("gamma", train.gamma());
        n.put("seed", train.seed());
        n.put("log_every", train.logEvery());
        n.put("checkpoint_every", train.checkpointEvery());
        ArrayNode at = n.putArray("checkpoint_at");
        for (long s : train.checkpointAt()) {
            at.add(s);
        }
        ArrayNode me = n.putArray("measures");
        measures.forEach(me::add);
        n.put("measure_train_points", measureTrainPoints);
        n.put("measure_test_points", measureTestPoints);
        n.put("eigenvalues", eigenvalues);
        n.put("threads", threads);
        return n;
    }

    /** The configuration {@link #toJson()} wrote. */
    public static RunConfig fromJson(JsonNode n) {
        TrainConfig t = TrainConfig.builder().optimizer(n.get("optimizer").asText()).lr(n.get("lr").asDouble())
                .momentum(n.get("momentum").asDouble()).nesterov(n.get("nesterov").asBoolean())
                .weightDecay(n.get("weight_decay").asDouble()).batchSize(n.get("batch_size").asInt())
                .epochs(n.get("epochs").asInt()).schedule(n.get("schedule").asText())
                .milestones(longs(n.get("milestones"))).gamma(n.get("gamma").asDouble()).seed(n.get("seed").asLong())
                .logEvery(n.get("log_every").asInt()).checkpointEvery(n.get("checkpoint_every").asLong())
                .checkpointAt(longs(n.get("checkpoint_at"))).build();
        List<String> me = new ArrayList<>();
        n.get("measures").forEach(m -> me.add(m.asText()));
        return builder().dataset(n.get("dataset").asText()).trainPoints(n.get("train_points").asInt())
                .testPoints(n.get("test_points").asInt()).standardize(n.get("standardize").asBoolean())
                .arch(n.get("arch").asText()).dtype(n.get("dtype").asText()).train(t).measures(me)
                .measureTrainPoints(n.get("measure_train_points").asInt())
                .measureTestPoints(n.get("measure_test_points").asInt()).eigenvalues(n.get("eigenvalues").asInt())
                .threads(n.get("threads").asInt()).build();
    }

    /** {@link #fromJson(JsonNode)} of a JSON text. */
    public static RunConfig fromJson(String json) {
        try {
            return fromJson(JSON.readTree(json));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("not a run configuration: " + e.getOriginalMessage(), e);
        }
    }

    private static long[] longs(JsonNode a) {
        long[] r = new long[a.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = a.get(i).asLong();
        }
        return r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RunConfig r && canonicalJson().equals(r.canonicalJson());
    }

    @Override
    public int hashCode() {
        return canonicalJson().hashCode();
    }

    @Override
    public String toString() {
        return "RunConfig " + id() + " " + canonicalJson().replaceAll("\\s+", "");
    }

    /** Builds a {@link RunConfig}; {@link #build()} refuses a bad value with a {@link UserException}. */
    public static final class Builder {
        private String dataset = "embedded";
        private int trainPoints;
        private int testPoints;
        private boolean standardize;
        private String arch;
        private String dtype = "f64";
        private TrainConfig train = TrainConfig.builder().build();
        private List<String> measures = MEASURES;
        private int measureTrainPoints = 1000;
        private int measureTestPoints = 1000;
        private int eigenvalues = 1;
        private int threads = 1;

        private Builder() {
        }

        public Builder dataset(String v) {
            dataset = v;
            return this;
        }

        public Builder trainPoints(int v) {
            trainPoints = v;
            return this;
        }

        public Builder testPoints(int v) {
            testPoints = v;
            return this;
        }

        public Builder standardize(boolean v) {
            standardize = v;
            return this;
        }

        public Builder arch(String v) {
            arch = v;
            return this;
        }

        public Builder dtype(String v) {
            dtype = v;
            return this;
        }

        public Builder train(TrainConfig v) {
            train = v;
            return this;
        }

        public Builder measures(List<String> v) {
            measures = v;
            return this;
        }

        public Builder measureTrainPoints(int v) {
            measureTrainPoints = v;
            return this;
        }

        public Builder measureTestPoints(int v) {
            measureTestPoints = v;
            return this;
        }

        public Builder eigenvalues(int v) {
            eigenvalues = v;
            return this;
        }

        public Builder threads(int v) {
            threads = v;
            return this;
        }

        public RunConfig build() {
            if (dataset == null || dataset.isBlank()) {
                throw new UserException("dataset is missing: e.g. dataset: mnist");
            }
            if (arch == null || arch.isBlank()) {
                throw new UserException("arch is missing: e.g. arch: mlp:784-100-10");
            }
            if (!dtype.equals("f32") && !dtype.equals("f64")) {
                throw new UserException("dtype must be f32 or f64, got '" + dtype + "'");
            }
            if (trainPoints < 0 || testPoints < 0 || measureTrainPoints < 0 || measureTestPoints < 0) {
                throw new UserException("point counts must be >= 0 (0: all)");
            }
            if (eigenvalues < 1) {
                throw new UserException("eigenvalues must be at least 1, got " + eigenvalues);
            }
            if (threads < 1) {
                throw new UserException("threads must be at least 1, got " + threads);
            }
            List<String> sorted = new ArrayList<>();
            for (String m : MEASURES) {
                if (measures.contains(m)) {
                    sorted.add(m);
                }
            }
            for (String m : measures) {
                if (!MEASURES.contains(m)) {
                    throw new UserException("unknown measure '" + m + "': use " + String.join(", ", MEASURES));
                }
            }
            if (Set.copyOf(measures).size() != measures.size()) {
                throw new UserException("measures lists a measure twice: " + measures);
            }
            measures = sorted;
            dtype = dtype.toLowerCase(Locale.ROOT);
            return new RunConfig(this);
        }
    }
}
