package org.flatminima.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.stream.Stream;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.Backends;
import org.flatminima.kernels.CheckedBackend;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The image-parallel convolutions ({@link ImageOps#conv2d}, its input and weight gradients): on every backend
 * that runs here, in both dtypes, with 2 and 3 threads the bits of 1 thread (odd batch sizes, so that parts
 * are unequal), and with 3 threads against direct loops in double precision (the definitions in the methods'
 * Javadoc). Also {@link Backend#runParts}: every part once, a nested call inline on the part's thread.
 */
@Tag("backends")
class ImageOpsThreadsTest {

    private static final int C = 3;
    private static final int H = 9;
    private static final int W = 8;
    private static final int O = 4;
    private static final int K = 3;
    private static final int STRIDE = 2;
    private static final int PAD = 1;
    private static final int OH = (H + 2 * PAD - K) / STRIDE + 1;
    private static final int OW = (W + 2 * PAD - K) / STRIDE + 1;

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("scalar", "vector", "native")) {
            if (!Backends.probe(b).available()) {
                continue;
            }
            for (DType t : DType.values()) {
                for (int n : new int[] {1, 5, 13}) {
                    all.add(Arguments.of(b, t, n));
                }
            }
        }
        return all.stream();
    }

    /** The three results of one backend at one thread count. */
    private record Conv(double[] y, double[] gx, double[] gw) {
    }

    private static Conv run(Backend b, int threads, Tensor x, Tensor w, Tensor g) {
        b.setThreads(threads);
        return Engine.with(b, () -> new Conv(ImageOps.conv2d(x, w, STRIDE, PAD).toDoubleArray(),
                ImageOps.conv2dInputGrad(g, w, H, W, STRIDE, PAD).toDoubleArray(),
                ImageOps.conv2dWeightGrad(x, g, K, K, STRIDE, PAD).toDoubleArray()));
    }

    @ParameterizedTest(name = "{0} {1} n={2}")
    @MethodSource("cases")
    void everyThreadCountGivesTheBitsOfOneAndTheDefinition(String name, DType t, int n) {
        SplittableRandom rnd = new SplittableRandom(5 + n);
        Tensor x = Tensor.normal(t, rnd, n, C, H, W);
        Tensor w = Tensor.normal(t, rnd, O, C, K, K);
        Tensor g = Tensor.normal(t, rnd, n, O, OH, OW);
        Backend b = Backends.get(name);
        int before = b.threads();
        try {
            Conv one = run(b, 1, x, w, g);
            for (int threads : new int[] {2, 3}) {
                Conv many = run(b, threads, x, w, g);
                assertThat(many.y()).as("forward, %d threads", threads).containsExactly(one.y());
                assertThat(many.gx()).as("input gradient, %d threads", threads).containsExactly(one.gx());
                assertThat(many.gw()).as("weight gradient, %d threads", threads).containsExactly(one.gw());
            }
            Conv want = definitions(n, x.toDoubleArray(), w.toDoubleArray(), g.toDoubleArray());
            double tol = t == DType.F64 ? 1e-12 : 1e-4;
            close("forward", one.y(), want.y(), tol);
            close("input gradient", one.gx(), want.gx(), tol);
            close("weight gradient", one.gw(), want.gw(), tol);
        } finally {
            b.setThreads(before);
        }
    }

    /** The three results by their definitions, in double precision, one output element at a time. */
    private static Conv definitions(int n, double[] x, double[] w, double[] g) {
        double[] y = new double[n * O * OH * OW];
        double[] gx = new double[n * C * H * W];
        double[] gw = new double[O * C * K * K];
        for (int b = 0; b < n; b++) {
            for (int o = 0; o < O; o++) {
                for (int oy = 0; oy < OH; oy++) {
                    for (int ox = 0; ox < OW; ox++) {
                        int yi = ((b * O + o) * OH + oy) * OW + ox;
                        for (int c = 0; c < C; c++) {
                            for (int i = 0; i < K; i++) {
                                for (int j = 0; j < K; j++) {
                                    int iy = oy * STRIDE - PAD + i;
                                    int ix = ox * STRIDE - PAD + j;
                                    if (iy < 0 || iy >= H || ix < 0 || ix >= W) {
                                        continue;
                                    }
                                    int xi = ((b * C + c) * H + iy) * W + ix;
                                    int wi = ((o * C + c) * K + i) * K + j;
                                    y[yi] += w[wi] * x[xi];
                                    gx[xi] += w[wi] * g[yi];
                                    gw[wi] += g[yi] * x[xi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return new Conv(y, gx, gw);
    }

    private static void close(String what, double[] got, double[] want, double tol) {
        assertThat(got).as(what).hasSameSizeAs(want);
        double scale = 0;
        for (double v : want) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < want.length; i++) {
            assertThat(Math.abs(got[i] - want[i])).as("%s at %d: %s vs %s", what, i, got[i], want[i])
                    .isLessThanOrEqualTo(tol * (1 + scale));
        }
    }

    /** Every part runs once; a nested runParts runs its parts in order on the thread of its part. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("names")
    void runPartsRunsEveryPartOnceAndNestedCallsInline(String name) {
        Backend b = CheckedBackend.wrap(Backends.get(name));
        int before = b.threads();
        b.setThreads(3);
        try {
            int parts = 11;
            AtomicIntegerArray runs = new AtomicIntegerArray(parts);
            AtomicReferenceArray<String> nested = new AtomicReferenceArray<>(parts);
            b.runParts(parts, p -> {
                runs.incrementAndGet(p);
                Thread me = Thread.currentThread();
                StringBuilder order = new StringBuilder();
                b.runParts(4, q -> order.append(Thread.currentThread() == me ? q : "elsewhere"));
                nested.set(p, order.toString());
            });
            for (int p = 0; p < parts; p++) {
                assertThat(runs.get(p)).as("part " + p).isEqualTo(1);
                assertThat(nested.get(p)).as("nested parts of part " + p).isEqualTo("0123");
            }
        } finally {
            b.setThreads(before);
        }
    }

    static Stream<String> names() {
        return Stream.of("scalar", "vector", "native").filter(n -> Backends.probe(n).available());
    }

    @Test
    void runPartsRejectsANegativeCount() {
        Backend b = CheckedBackend.wrap(Backends.get("scalar"));
        assertThatThrownBy(() -> b.runParts(-1, p -> { })).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("runParts");
    }
}
