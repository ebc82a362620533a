package org.flatminima.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Derivatives} against the closed form of {@code f(x) = log(sum(exp(x))) + ||x||^2 / 2} (computed here with
 * plain doubles) and against central finite differences of f and of its gradient.
 */
class DerivativesTest {

    private static final double H = 1e-5;

    /** softmax(x), computed directly. */
    private static double[] softmax(double[] x) {
        double m = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            m = Math.max(m, v);
        }
        double z = 0;
        double[] p = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            p[i] = Math.exp(x[i] - m);
            z += p[i];
        }
        for (int i = 0; i < x.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    private static double[] axpy(double[] x, double s, double[] v) {
        double[] r = x.clone();
        for (int i = 0; i < r.length; i++) {
            r[i] += s * v[i];
        }
        return r;
    }

    @Test
    void gradientJvpAndHvpMatchTheClosedFormAndFiniteDifferences() {
        SplittableRandom rnd = new SplittableRandom(3);
        for (int trial = 0; trial < 5; trial++) {
            int n = 2 + trial * 3;
            double[] x = new double[n];
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                x[i] = 3 * rnd.nextGaussian();
                v[i] = rnd.nextGaussian();
            }
            double[] p = softmax(x);
            double lse = 0;
            double m = Double.NEGATIVE_INFINITY;
            for (double xi : x) {
                m = Math.max(m, xi);
            }
            for (double xi : x) {
                lse += Math.exp(xi - m);
            }
            double sq = 0;
            double pv = 0;
            double gv = 0;
            for (int i = 0; i < n; i++) {
                sq += x[i] * x[i];
                pv += p[i] * v[i];
                gv += (p[i] + x[i]) * v[i];
            }
            assertThat(Derivatives.value(x)).isCloseTo(m + Math.log(lse) + sq / 2, within(1e-12));

            double[] g = Derivatives.gradient(x);
            double[] hv = Derivatives.hvp(x, v);
            double[] gPlus = Derivatives.gradient(axpy(x, H, v));
            double[] gMinus = Derivatives.gradient(axpy(x, -H, v));
            for (int i = 0; i < n; i++) {
                assertThat(g[i]).as("gradient %d", i).isCloseTo(p[i] + x[i], within(1e-12));
                assertThat(hv[i]).as("hvp %d", i).isCloseTo(p[i] * v[i] - p[i] * pv + v[i], within(1e-12));
                assertThat(hv[i]).as("hvp %d vs FD of the gradient", i)
                        .isCloseTo((gPlus[i] - gMinus[i]) / (2 * H), within(1e-7));
            }
            double jvp = Derivatives.jvp(x, v);
            assertThat(jvp).isCloseTo(gv, within(1e-12));
            double fd = (Derivatives.value(axpy(x, H, v)) - Derivatives.value(axpy(x, -H, v))) / (2 * H);
            assertThat(jvp).as("jvp vs FD of f").isCloseTo(fd, within(1e-7));
        }
    }

    @Test
    void mainPrintsTheEngineNumbersNextToTheClosedForm() throws Exception {
        String out = Stdout.of(() -> Derivatives.main(new String[0]));
        String[] lines = out.lines().toArray(String[]::new);
        // the line after each result is its closed form; they agree to the printed digits
        for (String what : new String[] {"gradient", "jvp", "hvp"}) {
            int i = 0;
            while (!lines[i].startsWith(what + " ")) {
                i++;
            }
            double[] ours = numbers(lines[i].substring(what.length()));
            double[] closed = numbers(lines[i + 1].replace("closed form", ""));
            assertThat(ours).as(what).containsExactly(closed, within(1e-12));
        }
    }

    private static double[] numbers(String s) {
        return java.util.Arrays.stream(s.replaceAll("[\\[\\],]", " ").trim().split("\\s+"))
                .mapToDouble(Double::parseDouble).toArray();
    }
}
