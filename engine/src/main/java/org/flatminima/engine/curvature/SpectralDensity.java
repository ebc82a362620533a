package org.flatminima.engine.curvature;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.flatminima.engine.Tensor;

/**
 * The spectral density of a symmetric operator (a Hessian) by stochastic Lanczos quadrature (Ubaru, Chen and Saad,
 * SIAM J. Matrix Anal. Appl. 38(4), 2017; the method of PyHessian).
 *
 * <p>The density {@code phi(t) = (1/P) sum_i delta(t - lambda_i)} is approximated by averaging, over {@code runs}
 * random unit start vectors v, the spectral measure of v, {@code sum_i (v . u_i)^2 delta(t - lambda_i)}, whose
 * expectation is phi. Each measure is replaced by its m-point Gauss quadrature rule, which m Lanczos steps from v
 * give for free: the nodes are the eigenvalues {@code theta_l} of the tridiagonal T and the weights the squared
 * first components {@code tau_l = s_l[0]^2} of its unit eigenvectors (they sum to 1 per run). The estimate is
 * {@code (1/runs) sum_r sum_l tau_{r,l} delta(t - theta_{r,l})}; {@link #density(double[], double)} smooths it with
 * a Gaussian of width sigma. Its mean {@code sum tau theta = v^T A v} is an unbiased estimate of {@code tr(A)/P}
 * ({@link #traceOverP()}) with a standard error from the spread over runs. See docs/curvature.md.
 */
public final class SpectralDensity {

    /** The distribution of the start vectors (normalised to unit length). */
    public enum Probe {
        /** Independent signs, {@code +-1/sqrt(P)}. */
        RADEMACHER,
        /** A standard normal vector, normalised (uniform on the sphere). */
        GAUSSIAN
    }

    /**
     * Settings.
     *
     * @param runs the number of start vectors n_v (at least 2, for a standard error)
     * @param steps Lanczos steps per run m (capped at P); 0 for {@code min(P, 80)}
     * @param probe the start vectors' distribution
     * @param seed the seed of the start vectors
     * @param parallel how many runs go through the operator together (one batched product per step; memory
     *     {@code parallel * m * P} values); 0 for {@code min(runs, 4)}
     */
    public record Options(int runs, int steps, Probe probe, long seed, int parallel) {
        /** 10 Rademacher runs of {@code min(P, 80)} steps, seed 0, 4 in parallel. */
        public static final Options DEFAULT = new Options(10, 0, Probe.RADEMACHER, 0, 0);

        public Options {
            if (runs < 2 || steps < 0 || parallel < 0 || probe == null) {
                throw new IllegalArgumentException("need runs >= 2, steps >= 0, parallel >= 0 (0 = default) and a"
                        + " probe, got " + runs + ", " + steps + ", " + parallel + ", " + probe);
            }
        }

        public Options withRuns(int n) {
            return new Options(n, steps, probe, seed, parallel);
        }

        public Options withSteps(int m) {
            return new Options(runs, m, probe, seed, parallel);
        }

        public Options withProbe(Probe pr) {
            return new Options(runs, steps, pr, seed, parallel);
        }

        public Options withSeed(long s) {
            return new Options(runs, steps, probe, s, parallel);
        }

        public Options withParallel(int n) {
            return new Options(runs, steps, probe, seed, n);
        }
    }

    /** A density sampled on a grid. */
    public record Curve(double[] t, double[] density) {
        /** The trapezoidal integral of the density over the grid. */
        public double integral() {
            double s = 0;
            for (int i = 1; i < t.length; i++) {
                s += 0.5 * (density[i] + density[i - 1]) * (t[i] - t[i - 1]);
            }
            return s;
        }
    }

    private final int dim;
    private final double[][] nodes;
    private final double[][] weights;
    private final int products;

    private SpectralDensity(int dim, double[][] nodes, double[][] weights, int products) {
        this.dim = dim;
        this.nodes = nodes;
        this.weights = weights;
        this.products = products;
    }

    /** SLQ for the Hessian with default options. */
    public static SpectralDensity estimate(HessianOperator h) {
        return estimate(SymmetricOperator.of(h), Options.DEFAULT);
    }

    /** SLQ for the Hessian. */
    public static SpectralDensity estimate(HessianOperator h, Options o) {
        return estimate(SymmetricOperator.of(h), o);
    }

    /** SLQ for any symmetric operator. */
    public static SpectralDensity estimate(SymmetricOperator op, Options o) {
        int p = op.dim();
        int m = Math.min(p, o.steps() > 0 ? o.steps() : 80);
        int par = Math.min(o.runs(), o.parallel() > 0 ? o.parallel() : 4);
        SplittableRandom rnd = new SplittableRandom(o.seed());
        double[][] nodes = new double[o.runs()][];
        double[][] weights = new double[o.runs()][];
        int products = 0;
        for (int r0 = 0; r0 < o.runs(); r0 += par) {
            int b = Math.min(par, o.runs() - r0);
            double[] v = new double[b * p];
            for (int i = 0; i < v.length; i++) {
                v[i] = o.probe() == Probe.RADEMACHER ? (rnd.nextBoolean() ? 1 : -1) : gaussian(rnd);
            }
            LanczosProcess.Run[] runs = LanczosProcess.run(op, Tensor.of(op.dtype(), v, b, p), m, false, rnd, null);
            for (int i = 0; i < b; i++) {
                LanczosProcess.Run run = runs[i];
                products += run.steps;
                SymmetricEigen.Result e = SymmetricEigen.tridiagonal(run.diag(), run.off());
                double[] w = new double[run.steps];
                double sum = 0;
                for (int l = 0; l < w.length; l++) {
                    double first = e.vector(l)[0];
                    w[l] = first * first;
                    sum += w[l];
                }
                for (int l = 0; l < w.length; l++) {
                    w[l] /= sum; // 1 up to rounding: e_1 has unit length
                }
                nodes[r0 + i] = e.values();
                weights[r0 + i] = w;
            }
        }
        return new SpectralDensity(p, nodes, weights, products);
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = 1.0 - rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rnd.nextDouble());
    }

    /** The number of runs n_v. */
    public int runs() {
        return nodes.length;
    }

    /** P, the operator's dimension. */
    public int dim() {
        return dim;
    }

    /** Operator products spent (Lanczos steps summed over runs). */
    public int products() {
        return products;
    }

    /** The quadrature nodes of run r (eigenvalues of its T, ascending). */
    public double[] nodes(int r) {
        return nodes[r].clone();
    }

    /** The quadrature weights of run r (squared first components of T's eigenvectors; they sum to 1). */
    public double[] weights(int r) {
        return weights[r].clone();
    }

    /** Every run's nodes, concatenated (with {@link #allWeights()} they form the averaged measure). */
    public double[] allNodes() {
        return Arrays.stream(nodes).flatMapToDouble(Arrays::stream).toArray();
    }

    /** Every run's weights divided by the number of runs, concatenated: they sum to 1. */
    public double[] allWeights() {
        double n = runs();
        return Arrays.stream(weights).flatMapToDouble(Arrays::stream).map(w -> w / n).toArray();
    }

    /**
     * The smoothed density {@code (1/runs) sum_{r,l} tau_{r,l} N(t; theta_{r,l}, sigma^2)} at each t; over the
     * whole line it integrates to 1.
     */
    public double[] density(double[] t, double sigma) {
        if (!(sigma > 0)) {
            throw new IllegalArgumentException("sigma must be > 0, got " + sigma);
        }
        double[] x = allNodes();
        double[] w = allWeights();
        double c = 1 / (sigma * Math.sqrt(2 * Math.PI));
        double[] y = new double[t.length];
        for (int i = 0; i < t.length; i++) {
            double s = 0;
            for (int l = 0; l < x.length; l++) {
                double z = (t[i] - x[l]) / sigma;
                s += w[l] * Math.exp(-0.5 * z * z);
            }
            y[i] = c * s;
        }
        return y;
    }

    /**
     * The smoothed density on {@code points} equally spaced values from {@code min node - 6 sigma} to
     * {@code max node + 6 sigma}. For its trapezoidal integral to be 1 the spacing must not exceed about sigma.
     */
    public Curve densityCurve(double sigma, int points) {
        if (points < 2) {
            throw new IllegalArgumentException("need at least 2 grid points, got " + points);
        }
        double[] x = allNodes();
        double lo = Arrays.stream(x).min().orElse(0) - 6 * sigma;
        double hi = Arrays.stream(x).max().orElse(0) + 6 * sigma;
        double[] t = new double[points];
        for (int i = 0; i < points; i++) {
            t[i] = lo + (hi - lo) * i / (points - 1);
        }
        return new Curve(t, density(t, sigma));
    }

    /** The mean of run r's measure, {@code sum_l tau_l theta_l = v_r^T A v_r}. */
    public double runMean(int r) {
        double s = 0;
        for (int l = 0; l < nodes[r].length; l++) {
            s += weights[r][l] * nodes[r][l];
        }
        return s;
    }

    /** The density's mean, an unbiased estimate of {@code tr(A) / P}. */
    public double traceOverP() {
        double s = 0;
        for (int r = 0; r < runs(); r++) {
            s += runMean(r);
        }
        return s / runs();
    }

    /** The standard error of {@link #traceOverP()}: the sample standard deviation of the run means over sqrt(runs). */
    public double traceOverPStderr() {
        double mean = traceOverP();
        double ss = 0;
        for (int r = 0; r < runs(); r++) {
            double d = runMean(r) - mean;
            ss += d * d;
        }
        return Math.sqrt(ss / (runs() - 1) / runs());
    }

    /** {@code P * traceOverP()}: the trace estimate. */
    public double trace() {
        return dim * traceOverP();
    }

    /** The standard error of {@link #trace()}. */
    public double traceStderr() {
        return dim * traceOverPStderr();
    }
}
