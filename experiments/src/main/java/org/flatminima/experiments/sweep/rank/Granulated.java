package org.flatminima.experiments.sweep.rank;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.experiments.measures.Correlation;
import org.flatminima.experiments.measures.Summary;
import org.flatminima.experiments.sweep.rank.Networks.Network;

/**
 * The granulated Kendall coefficient of Jiang, Neyshabur, Mobahi, Krishnan and Bengio, "Fantastic Generalization
 * Measures and Where to Find Them" (ICLR 2020), Section 2.2: for hyperparameter axis i, the networks are split into
 * groups that share the value of every other hyperparameter; Kendall's tau between the measure and the target is
 * taken inside each group (where only axis i changes), and psi_i is the mean over the groups. Psi is the mean of
 * psi_i over the axes that vary.
 *
 * <p>Differences from the paper, all forced by real sweeps: the groups are those present in the sweep (an explicit
 * list of runs, a diverged run or a measure left empty makes the grid incomplete), not the full product of the other
 * axes' values; a group needs at least two networks with two values of axis i; tau is tau-b, and a group where the
 * measure or the target is constant (tau-b undefined; the paper's sign-based tau would count it as 0) is left out of
 * the mean and counted. Seeds are replicates, never an axis: with {@link RankOptions.Seeds#PAIRED} a seed is one of
 * the "other" values (networks are compared with networks of the same seed), with {@link RankOptions.Seeds#MEAN} the
 * measure and target are first averaged over each configuration's seeds.
 *
 * <p>Intervals: percentile bootstrap over the groups, resampled with replacement inside each axis (the groups of an
 * axis are its independent units; networks within a group are not exchangeable with other groups'); Psi's interval
 * resamples every axis' groups in the same draw.
 */
public final class Granulated {
    private Granulated() {
    }

    /**
     * psi_i of one axis.
     *
     * @param axis    the hyperparameter
     * @param psi     mean of the defined group taus (NaN when none)
     * @param low     lower end of the bootstrap interval over groups (NaN when undefined)
     * @param high    upper end
     * @param groups  groups with at least two networks and two values of the axis
     * @param defined groups whose tau-b is defined (measure and target not constant in the group)
     */
    public record Axis(String axis, double psi, double low, double high, int groups, int defined) {
    }

    /**
     * Psi and its axes.
     *
     * @param psi    mean of the defined psi_i (NaN when none)
     * @param low    lower end of the bootstrap interval
     * @param high   upper end
     * @param axes   psi_i of every varying axis, in the order given
     * @param reason why psi is NaN (empty when it is defined)
     */
    public record Result(double psi, double low, double high, List<Axis> axes, String reason) {
    }

    /**
     * The granulated coefficient of measure values {@code x} and target values {@code y} (finite, one per network of
     * {@code nets}) along {@code axes} (hyperparameters of {@link Networks#HYPERPARAMETERS}, not seed).
     */
    public static Result of(List<Network> nets, double[] x, double[] y, List<String> axes, RankOptions.Seeds seeds,
                            int resamples, double level, long seed) {
        if (nets.size() != x.length || x.length != y.length) {
            throw new IllegalArgumentException(nets.size() + " networks, " + x.length + " x, " + y.length + " y");
        }
        List<Unit> units = seeds == RankOptions.Seeds.MEAN ? meanOverSeeds(nets, x, y) : paired(nets, x, y);
        List<Axis> result = new ArrayList<>();
        List<double[]> taus = new ArrayList<>();
        for (String axis : axes) {
            Map<List<String>, List<Unit>> groups = new LinkedHashMap<>();
            for (Unit u : units) {
                List<String> key = new ArrayList<>();
                for (String h : Networks.HYPERPARAMETERS) {
                    key.add(h.equals(axis) ? "*" : u.hyper().get(h));
                }
                key.add(u.seed());
                groups.computeIfAbsent(key, k -> new ArrayList<>()).add(u);
            }
            int used = 0;
            double[] t = new double[groups.size()];
            int defined = 0;
            for (List<Unit> g : groups.values()) {
                if (g.size() < 2 || g.stream().map(u -> u.hyper().get(axis)).distinct().count() < 2) {
                    continue;
                }
                used++;
                double tau = Correlation.kendallTauB(g.stream().mapToDouble(Unit::x).toArray(),
                        g.stream().mapToDouble(Unit::y).toArray());
                if (!Double.isNaN(tau)) {
                    t[defined++] = tau;
                }
            }
            double[] d = Arrays.copyOf(t, defined);
            taus.add(d);
            result.add(new Axis(axis, mean(d), Double.NaN, Double.NaN, used, defined));
        }
        return bootstrap(result, taus, resamples, level, seed);
    }

    /** A network, or a configuration's mean over seeds. */
    private record Unit(Map<String, String> hyper, String seed, double x, double y) {
    }

    private static List<Unit> paired(List<Network> nets, double[] x, double[] y) {
        List<Unit> units = new ArrayList<>();
        for (int i = 0; i < nets.size(); i++) {
            units.add(new Unit(nets.get(i).hyperparameters(), nets.get(i).seed(), x[i], y[i]));
        }
        return units;
    }

    private static List<Unit> meanOverSeeds(List<Network> nets, double[] x, double[] y) {
        Map<Map<String, String>, List<Integer>> configs = new LinkedHashMap<>();
        for (int i = 0; i < nets.size(); i++) {
            configs.computeIfAbsent(nets.get(i).hyperparameters(), k -> new ArrayList<>()).add(i);
        }
        List<Unit> units = new ArrayList<>();
        for (Map.Entry<Map<String, String>, List<Integer>> e : configs.entrySet()) {
            double sx = 0;
            double sy = 0;
            for (int i : e.getValue()) {
                sx += x[i];
                sy += y[i];
            }
            units.add(new Unit(e.getKey(), "", sx / e.getValue().size(), sy / e.getValue().size()));
        }
        return units;
    }

    /** The axes with their intervals, and Psi with its interval, from the defined taus of each axis' groups. */
    private static Result bootstrap(List<Axis> axes, List<double[]> taus, int resamples, double level, long seed) {
        List<Integer> live = new ArrayList<>();
        for (int a = 0; a < axes.size(); a++) {
            if (taus.get(a).length > 0) {
                live.add(a);
            }
        }
        if (live.isEmpty()) {
            String reason = axes.isEmpty() ? "no hyperparameter (other than seed) varies among the networks"
                    : "no group of networks that differ in one hyperparameter only has a defined tau (groups need two "
                    + "networks with different values of the axis, and a measure and target that are not constant)";
            return new Result(Double.NaN, Double.NaN, Double.NaN, axes, reason);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] perAxis = new double[axes.size()][resamples];
        double[] total = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double sum = 0;
            for (int a : live) {
                double[] t = taus.get(a);
                double s = 0;
                for (int k = 0; k < t.length; k++) {
                    s += t[rnd.nextInt(t.length)];
                }
                perAxis[a][b] = s / t.length;
                sum += perAxis[a][b];
            }
            total[b] = sum / live.size();
        }
        List<Axis> out = new ArrayList<>();
        double psi = 0;
        for (int a = 0; a < axes.size(); a++) {
            Axis ax = axes.get(a);
            if (live.contains(a)) {
                double[] iv = interval(perAxis[a], level);
                out.add(new Axis(ax.axis(), ax.psi(), iv[0], iv[1], ax.groups(), ax.defined()));
                psi += ax.psi();
            } else {
                out.add(ax);
            }
        }
        double[] iv = interval(total, level);
        return new Result(psi / live.size(), iv[0], iv[1], List.copyOf(out), "");
    }

    private static double[] interval(double[] stats, double level) {
        double[] s = stats.clone();
        Arrays.sort(s);
        return new double[] {Summary.quantileSorted(s, (1 - level) / 2), Summary.quantileSorted(s, (1 + level) / 2)};
    }

    private static double mean(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (double d : v) {
            s += d;
        }
        return s / v.length;
    }
}
