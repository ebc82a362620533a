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
 * The image-parallel convolutions ({@link ImageOps#conv2d}, its input and weight gradients), by im2col and GEMM
 * and by {@link Winograd}: on every backend that runs here, in both dtypes, with 2 and 3 threads the bits of 1
 * thread (odd batch sizes, so that parts are unequal), and with 3 threads against direct loops in double
 * precision (the definitions in the methods' Javadoc). Also {@link Backend#runParts}: every part once, a nested call inline on the part's thread.
 */
@Tag("backends")
class ImageOpsThreadsTest {

    /**
     * A convolution's shapes: {@code [n, c, h, w]} images, {@code [o, c, k, k]} weights. The first has stride 2
     * (im2col and GEMM); the others are 3x3 with stride 1 and at least {@link Winograd#MIN_CHANNELS} channels,
     * so the forward and the input gradient run by {@link Winograd} (padding 0, 1 and 2, odd output sizes).
     */
    record Geo(int c, int h, int w, int o, int k, int stride, int pad) {
        int oh() {
            return (h + 2 * pad - k) / stride + 1;
        }

        int ow() {
            return (w + 2 * pad - k) / stride + 1;
        }
    }

    static final List<Geo> GEOMETRIES = List.of(new Geo(3, 9, 8, 4, 3, 2, 1), new Geo(9, 9, 8, 10, 3, 1, 1),
            new Geo(8, 7, 6, 8, 3, 1, 0), new Geo(10, 5, 6, 9, 3, 1, 2));

    static Stream<Arguments> cases() {
        List<Arguments> all = new ArrayList<>();
        for (String b : List.of("scalar", "vector", "native")) {
            if (!Backends.probe(b).available()) {
                continue;
            }
            for (DType t : DType.values()) {
                for (int n : new int[] {1, 5, 13}) {
                    for (Geo geo : GEOMETRIES) {
                        all.add(Arguments.of(b, t, n, geo));
                    }
                }
            }
        }
        return all.stream();
    }

    /** The three results of one backend at one thread count. */
    private record Conv(double[] y, double[] gx, double[] gw) {
    }

    private static Conv run(Backend b, int threads, Geo geo, Tensor x, Tensor w, Tensor g) {
        b.setThreads(threads);
        return Engine.with(b, () -> new Conv(ImageOps.conv2d(x, w, geo.stride(), geo.pad()).toDoubleArray(),
                ImageOps.conv2dInputGrad(g, w, geo.h(), geo.w(), geo.stride(), geo.pad()).toDoubleArray(),
                ImageOps.conv2dWeightGrad(x, g, geo.k(), geo.k(), geo.stride(), geo.pad()).toDoubleArray()));
    }

    @ParameterizedTest(name = "{0} {1} n={2} {3}")
    @MethodSource("cases")
    void everyThreadCountGivesTheBitsOfOneAndTheDefinition(String name, DType t, int n, Geo geo) {
        SplittableRandom rnd = new SplittableRandom(5 + n);
        Tensor x = Tensor.normal(t, rnd, n, geo.c(), geo.h(), geo.w());
        Tensor w = Tensor.normal(t, rnd, geo.o(), geo.c(), geo.k(), geo.k());
        Tensor g = Tensor.normal(t, rnd, n, geo.o(), geo.oh(), geo.ow());
        Backend b = Backends.get(name);
        int before = b.threads();
        try {
            Conv one = run(b, 1, geo, x, w, g);
            for (int threads : new int[] {2, 3}) {
                Conv many = run(b, threads, geo, x, w, g);
                assertThat(many.y()).as("forward, %d threads", threads).containsExactly(one.y());
                assertThat(many.gx()).as("input gradient, %d threads", threads).containsExactly(one.gx());
                assertThat(many.gw()).as("weight gradient, %d threads", threads).containsExactly(one.gw());
            }
            Conv want = definitions(n, geo, x.toDoubleArray(), w.toDoubleArray(), g.toDoubleArray());
            double tol = t == DType.F64 ? 1e-12 : 1e-4;
            close("forward", one.y(), want.y(), tol);
            close("input gradient", one.gx(), want.gx(), tol);
            close("weight gradient", one.gw(), want.gw(), tol);
        } finally {
            b.setThreads(before);
        }
    }

    /** The three results by their definitions, in double precision, one output element at a time. */
    private static Conv definitions(int n, Geo geo, double[] x, double[] w, double[] g) {
        int c = geo.c();
        int h = geo.h();
        int wd = geo.w();
        int o = geo.o();
        int k = geo.k();
        int oh = geo.oh();
        int ow = geo.ow();
        double[] y = new double[n * o * oh * ow];
        double[] gx = new double[n * c * h * wd];
        double[] gw = new double[o * c * k * k];
        for (int b = 0; b < n; b++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        int yi = ((b * o + oc) * oh + oy) * ow + ox;
                        for (int ci = 0; ci < c; ci++) {
                            for (int i = 0; i < k; i++) {
                                for (int j = 0; j < k; j++) {
                                    int iy = oy * geo.stride() - geo.pad() + i;
                                    int ix = ox * geo.stride() - geo.pad() + j;
                                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) {
                                        continue;
                                    }
                                    int xi = ((b * c + ci) * h + iy) * wd + ix;
                                    int wi = ((oc * c + ci) * k + i) * k + j;
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
