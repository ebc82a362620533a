package org.flatminima.experiments.sweep;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.experiments.EditDistance;
import org.flatminima.experiments.UserException;

/**
 * The YAML text of a sweep specification read as a tree, with the line where each key and value was written,
 * and the one-line errors that point at them ({@code SOURCE line N: PATH: problem}).
 *
 * <p>Read with Jackson's YAML module (YAML 1.1 scalars as Jackson resolves them: {@code 1e-3} and
 * {@code 0.001} are numbers, {@code true/false/yes/no/on/off} booleans). A key written twice in one map, a
 * second YAML document ({@code ---}) and text that is not YAML are errors.
 */
final class SpecYaml {
    private static final YAMLMapper YAML = YAMLMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();

    private final String source;
    private final JsonNode root;
    private final Map<String, Integer> lines;

    private SpecYaml(String source, JsonNode root, Map<String, Integer> lines) {
        this.source = source;
        this.root = root;
        this.lines = lines;
    }

    /** Parses {@code text}; {@code source} names it in error messages (a path, or e.g. "test"). */
    static SpecYaml parse(String text, String source) {
        Map<String, Integer> lines = new HashMap<>();
        JsonNode root;
        try {
            try (JsonParser p = YAML.createParser(text)) {
                int documents = 0;
                int depth = 0;
                JsonToken t;
                while ((t = p.nextToken()) != null) {
                    if (depth == 0 && (t.isScalarValue() || t.isStructStart()) && ++documents > 1) {
                        throw new UserException(source + " line " + p.currentTokenLocation().getLineNr()
                                + ": a second YAML document (after ---): a specification is one document");
                    }
                    depth += t.isStructStart() ? 1 : t.isStructEnd() ? -1 : 0;
                    lines.putIfAbsent(p.getParsingContext().pathAsPointer().toString(),
                            p.currentTokenLocation().getLineNr());
                }
            }
            root = YAML.readTree(text);
        } catch (JsonProcessingException e) {
            int line = e.getLocation() == null ? -1 : e.getLocation().getLineNr();
            throw new UserException(source + (line > 0 ? " line " + line : "") + ": " + yamlProblem(e)
                    + ": fix the YAML syntax", e);
        } catch (IOException e) {
            throw new UserException(source + ": cannot read the specification: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new UserException(source + ": the specification is empty: give at least dataset: and arch:, "
                    + "e.g. dataset: embedded and arch: mlp:784-64-10");
        }
        SpecYaml y = new SpecYaml(source, root, lines);
        if (!root.isObject()) {
            throw y.error(JsonPointer.empty(), "the specification must be a map of keys (dataset:, arch:, ...), "
                    + "found " + describe(root));
        }
        return y;
    }

    /** The first lines of Jackson's or SnakeYAML's message (the ones that are not an echo of the text). */
    private static String yamlProblem(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m.startsWith("Duplicate field ")) {
            return "key " + m.substring("Duplicate field ".length()).strip() + " is written twice in the same map";
        }
        List<String> kept = new ArrayList<>();
        for (String l : m.split("\\R")) {
            if (!l.isBlank() && !Character.isWhitespace(l.charAt(0))) {
                kept.add(l.strip());
            }
        }
        return "not valid YAML: " + (kept.isEmpty() ? m.strip().replaceAll("\\s+", " ") : String.join("; ", kept));
    }

    /** The whole document (a map). */
    JsonNode root() {
        return root;
    }

    /** The name errors give the text (a path, or what the caller passed). */
    String source() {
        return source;
    }

    /** The line (1-based) where the node at {@code at} was written, or -1 when unknown. */
    int line(JsonPointer at) {
        return lines.getOrDefault(at.toString(), -1);
    }

    /** {@code SOURCE line N: PATH: message} (the path left out at the root). */
    UserException error(JsonPointer at, String message) {
        return new UserException(where(at) + message);
    }

    /** {@code SOURCE line N: message}, for a message that names the key itself. */
    UserException lineError(JsonPointer at, String message) {
        int line = line(at);
        return new UserException(source + (line > 0 ? " line " + line : "") + ": " + message);
    }

    /** {@code SOURCE line N: PATH: }, the start of an error about the node at {@code at}. */
    String where(JsonPointer at) {
        int line = line(at);
        String path = path(at);
        return source + (line > 0 ? " line " + line : "") + ": " + (path.isEmpty() ? "" : path + ": ");
    }

    /** A pointer as a spec path: {@code /runs/1/lr} is {@code runs[1].lr}, {@code /grid/lr/0} {@code grid.lr[0]}. */
    static String path(JsonPointer at) {
        StringBuilder b = new StringBuilder();
        for (JsonPointer p = at; p != null && !p.matches(); p = p.tail()) {
            if (p.mayMatchElement() && isIndex(p.getMatchingProperty())) {
                b.append('[').append(p.getMatchingIndex()).append(']');
            } else {
                b.append(b.isEmpty() ? "" : ".").append(p.getMatchingProperty());
            }
        }
        return b.toString();
    }

    private static boolean isIndex(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    /** What a node is, for "expected X, found Y" messages. */
    static String describe(JsonNode n) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            return "nothing (an empty value)";
        }
        if (n.isTextual()) {
            return "the text '" + n.asText() + "'";
        }
        if (n.isBoolean()) {
            return "the boolean " + n.asBoolean();
        }
        if (n.isNumber()) {
            return "the number " + n.asText();
        }
        if (n.isArray()) {
            return "a list of " + n.size();
        }
        if (n.isObject()) {
            return "a map";
        }
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }

    /** The allowed key nearest to {@code key} when it is close enough to be a typo, else null. */
    static String nearest(String key, List<String> allowed) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String a : allowed) {
            int d = EditDistance.between(key.toLowerCase(java.util.Locale.ROOT).replace('-', '_'), a);
            if (d < bestD) {
                best = a;
                bestD = d;
            }
        }
        return bestD <= Math.max(2, key.length() / 3) ? best : null;
    }
}
