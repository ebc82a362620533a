package org.flatminima.bench.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.flatminima.kernels.DType;

/** Reading a request's fields and writing reply fields, for {@link CompareWorker}. */
final class Fields {

    private Fields() {
    }

    /** A string field, {@code dflt} when absent or null; not a string: IllegalArgumentException. */
    static String text(JsonNode req, String field, String dflt) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a string");
        }
        return v.asText();
    }

    /** An integer field in [min, max], {@code dflt} when absent or null; else IllegalArgumentException. */
    static int integer(JsonNode req, String field, int dflt, int min, int max) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw new IllegalArgumentException("field \"" + field + "\" must be an integer in [" + min + ", "
                    + max + "], got " + v);
        }
        return v.asInt();
    }

    /** f32 or f64. */
    static DType parseDType(String s) {
        return switch (s) {
            case "f32" -> DType.F32;
            case "f64" -> DType.F64;
            default -> throw new IllegalArgumentException("unknown dtype '" + s + "': use f32 or f64");
        };
    }

    /** {@code v}, or null when it is not finite (JSON has no NaN). */
    static void putNumber(ObjectNode r, String field, double v) {
        if (Double.isFinite(v)) {
            r.put(field, v);
        } else {
            r.putNull(field);
        }
    }

    /** The error as one line: an IllegalArgumentException's message as is, else its class and message. */
    static String oneLine(Throwable e) {
        String m = e.getMessage();
        String s = e instanceof IllegalArgumentException && m != null ? m
                : e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
        return s.replaceAll("\\s+", " ").trim();
    }
}
