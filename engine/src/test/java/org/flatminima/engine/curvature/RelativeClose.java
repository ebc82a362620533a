package org.flatminima.engine.curvature;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The exact-trace tests' comparisons: a value within a relative tolerance of the reference (plus 1e-15 for zeros),
 * element by element for arrays and part by part for two {@link TraceBreakdown}s; keeps the largest relative error
 * seen, which each test class prints when it ends.
 */
final class RelativeClose {
    private final double tol;
    private double maxRel;

    RelativeClose(double tol) {
        this.tol = tol;
    }

    /** The largest relative error of a nonzero reference so far. */
    double maxRel() {
        return maxRel;
    }

    void close(String what, double actual, double expected) {
        double rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
        if (expected != 0) {
            maxRel = Math.max(maxRel, rel);
        }
        assertThat(Math.abs(actual - expected)).as("%s: %s vs %s", what, actual, expected)
                .isLessThanOrEqualTo(tol * Math.abs(expected) + 1e-15);
    }

    void close(String what, double[] actual, double[] expected) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            close(what + "[" + i + "]", actual[i], expected[i]);
        }
    }

    /** The total, per-parameter, per-layer, per-point and per-point-per-parameter parts of a agree with ref's. */
    void same(TraceBreakdown a, TraceBreakdown ref) {
        String m = a.method() + " vs " + ref.method();
        close(m + " total", a.total(), ref.total());
        close(m + " per param", a.perParam(), ref.perParam());
        close(m + " per layer", a.perLayer(), ref.perLayer());
        close(m + " per point", a.perPoint(), ref.perPoint());
        for (int n = 0; n < ref.perPointParam().length; n++) {
            close(m + " point " + n + " per param", a.perPointParam()[n], ref.perPointParam()[n]);
        }
    }
}
