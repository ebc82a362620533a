package org.flatminima.experiments.testing;

/**
 * Independent per-point computations for tests, written out in double precision from row-major logits
 * {@code [points, classes]}: what the code under test must agree with.
 */
public final class ByHand {
    private ByHand() {
    }

    /** The first index of the largest logit of point {@code i}. */
    public static int argmax(double[] logits, int classes, int i) {
        int arg = 0;
        for (int c = 1; c < classes; c++) {
            if (logits[i * classes + c] > logits[i * classes + arg]) {
                arg = c;
            }
        }
        return arg;
    }

    /** Point {@code i}'s softmax cross-entropy with label y: {@code log sum_c exp(z_c) - z_y}, shifted by the max. */
    public static double crossEntropy(double[] logits, int classes, int i, int y) {
        double max = logits[i * classes + argmax(logits, classes, i)];
        double s = 0;
        for (int c = 0; c < classes; c++) {
            s += Math.exp(logits[i * classes + c] - max);
        }
        return Math.log(s) + max - logits[i * classes + y];
    }
}
