package org.flatminima.experiments.reproduce;

import java.util.Locale;

/** How big an experiment runs: {@code quick} (minutes, embedded MNIST subset) or {@code full} (paper-sized). */
public enum Scale {
    /** Small configurations on the embedded MNIST subset: the whole reproduction in minutes. */
    QUICK,
    /** Paper-sized configurations. */
    FULL;

    /** The name on the command line and in results: "quick" or "full". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses "quick" or "full" (case-insensitive). */
    public static Scale parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT).trim()) {
            case "quick" -> QUICK;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("unknown scale '" + s + "': use quick or full");
        };
    }
}
