package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.flatminima.experiments.UserException;
import org.flatminima.experiments.data.DataSets;
import org.flatminima.experiments.models.ModelSpec;

/**
 * The keys of a sweep specification: each with its YAML name, the type of its value, and where it may be written
 * ({@link Scope}). {@link #read} turns a YAML node into the key's Java value (String, Integer, Long, Double,
 * Boolean, {@code long[]}, {@code double[]} or a {@code List<String>} of measures), or refuses it with a
 * one-line {@link UserException} naming the key, the expected type and what was found.
 */
enum SpecKey {
    NAME("name", Type.TEXT, Scope.TOP),
    THREADS("threads", Type.INT, Scope.TOP),
    SEEDS("seeds", Type.LONG_LIST, Scope.TOP),
    GRID("grid", Type.MAP, Scope.TOP),
    RUNS("runs", Type.LIST_OF_MAPS, Scope.TOP),
    DATASET("dataset", Type.TEXT, Scope.RUN),
    TRAIN_POINTS("train_points", Type.INT, Scope.RUN),
    TEST_POINTS("test_points", Type.INT, Scope.RUN),
    STANDARDIZE("standardize", Type.BOOLEAN, Scope.RUN),
    ARCH("arch", Type.TEXT, Scope.RUN),
    DTYPE("dtype", Type.TEXT, Scope.RUN),
    OPTIMIZER("optimizer", Type.TEXT, Scope.RUN),
    LR("lr", Type.NUMBER, Scope.RUN),
    MOMENTUM("momentum", Type.NUMBER, Scope.RUN),
    NESTEROV("nesterov", Type.BOOLEAN, Scope.RUN),
    WEIGHT_DECAY("weight_decay", Type.NUMBER, Scope.RUN),
    BATCH_SIZE("batch_size", Type.INT, Scope.RUN),
    EPOCHS("epochs", Type.INT, Scope.RUN),
    SCHEDULE("schedule", Type.TEXT, Scope.RUN),
    MILESTONES("milestones", Type.LONG_LIST, Scope.RUN),
    GAMMA("gamma", Type.NUMBER, Scope.RUN),
    SEED("seed", Type.LONG, Scope.RUN),
    LOG_EVERY("log_every", Type.INT, Scope.RUN),
    CHECKPOINT_EVERY("checkpoint_every", Type.LONG, Scope.RUN),
    CHECKPOINT_AT("checkpoint_at", Type.LONG_LIST, Scope.RUN),
    CHECKPOINT_EPOCHS("checkpoint_epochs", Type.NUMBER_LIST, Scope.RUN),
    MEASURES("measures", Type.MEASURES, Scope.RUN),
    MEASURE_TRAIN_POINTS("measure_train_points", Type.INT, Scope.RUN),
    MEASURE_TEST_POINTS("measure_test_points", Type.INT, Scope.RUN),
    EIGENVALUES("eigenvalues", Type.INT, Scope.RUN);

    /** The type of a key's value, as the messages name it. */
    enum Type {
        TEXT("a text"),
        INT("an integer"),
        LONG("an integer"),
        NUMBER("a number"),
        BOOLEAN("true or false"),
        LONG_LIST("a list of integers, e.g. [1, 2]"),
        NUMBER_LIST("a list of numbers, e.g. [0.5, 1]"),
        MEASURES("all, or a list of measures, e.g. [trace, margins]"),
        MAP("a map of key: [values, ...]"),
        LIST_OF_MAPS("a list of maps, e.g. [{arch: affine:784-10}, {arch: mlp:784-64-10}]");

        private final String expected;

        Type(String expected) {
            this.expected = expected;
        }

        /** The type as "expected ..." says it. */
        String expected() {
            return expected;
        }
    }

    /** Where a key may be written. */
    enum Scope {
        /** Only at the top of the file, once for the whole sweep. */
        TOP,
        /** At the top (the base of every run), in an entry of {@code runs}, or as an axis of {@code grid}. */
        RUN
    }

    private final String yaml;
    private final Type type;
    private final Scope scope;

    SpecKey(String yaml, Type type, Scope scope) {
        this.yaml = yaml;
        this.type = type;
        this.scope = scope;
    }

    /** The key as written in YAML. */
    String yaml() {
        return yaml;
    }

    Type type() {
        return type;
    }

    Scope scope() {
        return scope;
    }

    /** The key named {@code yaml}, or null. */
    static SpecKey of(String yaml) {
        for (SpecKey k : values()) {
            if (k.yaml.equals(yaml)) {
                return k;
            }
        }
        return null;
    }

    /** The YAML names of the keys allowed at the top ({@code top}) or in a run entry and grid (not {@code top}). */
    static List<String> allowed(boolean top) {
        List<String> out = new ArrayList<>();
        for (SpecKey k : values()) {
            if (top || k.scope == Scope.RUN) {
                out.add(k.yaml);
            }
        }
        return out;
    }

    /**
     * An unknown-key error: {@code SOURCE line N: unknown key 'K' in PLACE: did you mean 'X'?} or the list of
     * allowed keys when none is close.
     */
    static UserException unknown(SpecYaml y, JsonPointer at, String key, String place, boolean top) {
        List<String> allowed = allowed(top);
        String near = SpecYaml.nearest(key, allowed);
        String hint = near != null ? "did you mean '" + near + "'?" : "the keys allowed there are "
                + String.join(", ", allowed);
        String misplaced = !top && of(key) != null ? " (" + key + " may only be written at the top of the file)" : "";
        int line = y.line(at);
        return new UserException(y.source() + (line > 0 ? " line " + line : "") + ": unknown key '" + key + "' in "
                + place + misplaced + ": " + (misplaced.isEmpty() ? hint : "move it to the top"));
    }

    /** The value of {@code n} (at {@code at}) as this key's Java value, checked for type (and names). */
    Object read(SpecYaml y, JsonPointer at, JsonNode n) {
        Object v = switch (type) {
            case TEXT -> text(y, at, n);
            case INT -> Math.toIntExact(integer(y, at, n, Integer.MIN_VALUE, Integer.MAX_VALUE));
            case LONG -> integer(y, at, n, Long.MIN_VALUE, Long.MAX_VALUE);
            case NUMBER -> number(y, at, n);
            case BOOLEAN -> {
                if (!n.isBoolean()) {
                    throw wrong(y, at, n);
                }
                yield n.asBoolean();
            }
            case LONG_LIST -> {
                long[] r = new long[list(y, at, n).size()];
                for (int i = 0; i < r.length; i++) {
                    r[i] = element(y, at, n, i);
                }
                yield r;
            }
            case NUMBER_LIST -> {
                double[] r = new double[list(y, at, n).size()];
                for (int i = 0; i < r.length; i++) {
                    JsonNode e = n.get(i);
                    if (!e.isNumber()) {
                        throw wrong(y, at.appendIndex(i), e);
                    }
                    r[i] = e.asDouble();
                }
                yield r;
            }
            case MEASURES -> measures(y, at, n);
            case MAP, LIST_OF_MAPS -> throw new IllegalStateException(yaml + " is read by SweepSpec");
        };
        return check(y, at, v);
    }

    /** Checks of a value that a run's builders would report without its location. */
    private Object check(SpecYaml y, JsonPointer at, Object v) {
        switch (this) {
            case DATASET -> {
                String d = DataSets.canonical((String) v); // cifar10 is cifar-10
                if (!DataSets.NAMES.contains(d)) {
                    String near = SpecYaml.nearest(d, DataSets.NAMES);
                    throw y.error(at, "unknown data set '" + v + "': use one of " + String.join(", ", DataSets.NAMES)
                            + (near != null ? " (did you mean " + near + "?)" : ""));
                }
                return d;
            }
            case ARCH -> {
                try {
                    return ModelSpec.parse((String) v).toString();
                } catch (UserException e) {
                    throw y.error(at, e.getMessage());
                }
            }
            case DTYPE -> {
                String d = ((String) v).strip().toLowerCase(Locale.ROOT);
                if (!d.equals("f32") && !d.equals("f64")) {
                    throw y.lineError(at, "dtype must be f32 or f64, got '" + v + "'");
                }
                return d;
            }
            case CHECKPOINT_AT -> {
                for (long s : (long[]) v) {
                    if (s < 1) {
                        throw y.error(at, "checkpoint steps must be at least 1 (step 1 is after the first update), "
                                + "got " + s);
                    }
                }
                return v;
            }
            case CHECKPOINT_EPOCHS -> {
                for (double e : (double[]) v) {
                    if (!(e > 0) || Double.isInfinite(e)) {
                        throw y.error(at, "checkpoint epochs must be positive numbers, got " + e);
                    }
                }
                return v;
            }
            default -> {
                return v;
            }
        }
    }

    private String text(SpecYaml y, JsonPointer at, JsonNode n) {
        if (n.isTextual() && !n.asText().isBlank()) {
            return n.asText().strip();
        }
        if (this == NAME && n.isNumber()) {
            return n.asText();
        }
        throw wrong(y, at, n);
    }

    private long integer(SpecYaml y, JsonPointer at, JsonNode n, long min, long max) {
        if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
            throw wrong(y, at, n);
        }
        return n.asLong();
    }

    private static double number(SpecYaml y, JsonPointer at, JsonNode n) {
        if (!n.isNumber()) {
            throw y.error(at, "expected a number, found " + SpecYaml.describe(n));
        }
        return n.asDouble();
    }

    private JsonNode list(SpecYaml y, JsonPointer at, JsonNode n) {
        if (!n.isArray()) {
            throw wrong(y, at, n);
        }
        return n;
    }

    private static long element(SpecYaml y, JsonPointer at, JsonNode list, int i) {
        JsonNode e = list.get(i);
        if (!e.isIntegralNumber() || !e.canConvertToLong()) {
            throw y.error(at.appendIndex(i), "expected an integer, found " + SpecYaml.describe(e));
        }
        return e.asLong();
    }

    private List<String> measures(SpecYaml y, JsonPointer at, JsonNode n) {
        if (n.isTextual() && n.asText().strip().equals("all")) {
            return RunConfig.MEASURES;
        }
        if (!n.isArray()) {
            throw wrong(y, at, n);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            String m = e.isTextual() ? e.asText().strip() : null;
            if (m == null) {
                throw y.error(at.appendIndex(i), "expected the name of a measure, found " + SpecYaml.describe(e));
            }
            if (!RunConfig.MEASURES.contains(m)) {
                String near = SpecYaml.nearest(m, RunConfig.MEASURES);
                throw y.error(at.appendIndex(i), "unknown measure '" + m + "': use "
                        + String.join(", ", RunConfig.MEASURES) + " (or measures: all)"
                        + (near != null ? "; did you mean " + near + "?" : ""));
            }
            if (out.contains(m)) {
                throw y.error(at.appendIndex(i), "measure " + m + " is listed twice");
            }
            out.add(m);
        }
        return List.copyOf(out);
    }

    private UserException wrong(SpecYaml y, JsonPointer at, JsonNode n) {
        return y.error(at, "expected " + type.expected() + ", found " + SpecYaml.describe(n));
    }

    /** A value as labels and messages show it: numbers without trailing zeros, lists in brackets. */
    static String show(Object v) {
        return switch (v) {
            case Double d when Double.isFinite(d) -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            case long[] a -> Arrays.toString(a);
            case double[] a -> {
                List<String> s = new ArrayList<>();
                for (double d : a) {
                    s.add(show(d));
                }
                yield "[" + String.join(", ", s) + "]";
            }
            case List<?> l -> l.equals(RunConfig.MEASURES) ? "all" : l.toString();
            default -> String.valueOf(v);
        };
    }
}
