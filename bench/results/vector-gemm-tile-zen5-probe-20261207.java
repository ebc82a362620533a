import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

//
//   java --add-modules jdk.incubator.vector bench/results/vector-gemm-tile-zen5-probe-20261207.java [KC]
//
// On the AMD EPYC with Zen 5 cores (family 0x1A), 2026-12-07, one thread (rounds 3-6 of 6), KC = 512:
//   hot7 125.8-128.3, walk7 125.2-126.8, hot8 95.3-96.3, walk8 94.5-95.5 GFLOP/s; KC = 256: hot7 128.6, walk7 125.0.
// The core's peak, FMAs on registers (stream-and-fma-probe-20261207-fma.c): 308-317 GFLOP/s in float, so about
// 155 in double: the 7 x 3 tile alone reaches 0.81 of it; the 8 x 3 tile is slower (not disassembled).
// The double micro-kernel of the vector GEMM alone: 7 x 3 vectors (as in Gemm.java.template) against 8 x 3,
// over packed panels of a given depth; the rate with every operand hot, and with an A block of MC rows walked
// as the GEMM walks it (B panel reused across the A panels). C not touched but for the tile store.
class KernelProbe {
    static final VectorSpecies<Double> S = DoubleVector.SPECIES_512;
    static final int VL = 8, NR = 24;

    static void k7(int kc, double[] ap, int ao, double[] bp, int bo, double[] tile) {
        DoubleVector z = DoubleVector.zero(S);
        DoubleVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
        DoubleVector c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
        DoubleVector c60 = z, c61 = z, c62 = z;
        for (int p = 0; p < kc; p++) {
            int pb = bo + p * NR, pa = ao + p * 7;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, pb), b1 = DoubleVector.fromArray(S, bp, pb + VL);
            DoubleVector b2 = DoubleVector.fromArray(S, bp, pb + 2 * VL);
            DoubleVector av = DoubleVector.broadcast(S, ap[pa]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02);
            av = DoubleVector.broadcast(S, ap[pa + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12);
            av = DoubleVector.broadcast(S, ap[pa + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22);
            av = DoubleVector.broadcast(S, ap[pa + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32);
            av = DoubleVector.broadcast(S, ap[pa + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42);
            av = DoubleVector.broadcast(S, ap[pa + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52);
            av = DoubleVector.broadcast(S, ap[pa + 6]);
            c60 = av.fma(b0, c60); c61 = av.fma(b1, c61); c62 = av.fma(b2, c62);
        }
        c00.add(c01).add(c02).add(c10).add(c11).add(c12).add(c20).add(c21).add(c22).add(c30).add(c31).add(c32)
                .add(c40).add(c41).add(c42).add(c50).add(c51).add(c52).add(c60).add(c61).add(c62).intoArray(tile, 0);
    }

    static void k8(int kc, double[] ap, int ao, double[] bp, int bo, double[] tile) {
        DoubleVector z = DoubleVector.zero(S);
        DoubleVector c00 = z, c01 = z, c02 = z, c10 = z, c11 = z, c12 = z, c20 = z, c21 = z, c22 = z;
        DoubleVector c30 = z, c31 = z, c32 = z, c40 = z, c41 = z, c42 = z, c50 = z, c51 = z, c52 = z;
        DoubleVector c60 = z, c61 = z, c62 = z, c70 = z, c71 = z, c72 = z;
        for (int p = 0; p < kc; p++) {
            int pb = bo + p * NR, pa = ao + p * 8;
            DoubleVector b0 = DoubleVector.fromArray(S, bp, pb), b1 = DoubleVector.fromArray(S, bp, pb + VL);
            DoubleVector b2 = DoubleVector.fromArray(S, bp, pb + 2 * VL);
            DoubleVector av = DoubleVector.broadcast(S, ap[pa]);
            c00 = av.fma(b0, c00); c01 = av.fma(b1, c01); c02 = av.fma(b2, c02);
            av = DoubleVector.broadcast(S, ap[pa + 1]);
            c10 = av.fma(b0, c10); c11 = av.fma(b1, c11); c12 = av.fma(b2, c12);
            av = DoubleVector.broadcast(S, ap[pa + 2]);
            c20 = av.fma(b0, c20); c21 = av.fma(b1, c21); c22 = av.fma(b2, c22);
            av = DoubleVector.broadcast(S, ap[pa + 3]);
            c30 = av.fma(b0, c30); c31 = av.fma(b1, c31); c32 = av.fma(b2, c32);
            av = DoubleVector.broadcast(S, ap[pa + 4]);
            c40 = av.fma(b0, c40); c41 = av.fma(b1, c41); c42 = av.fma(b2, c42);
            av = DoubleVector.broadcast(S, ap[pa + 5]);
            c50 = av.fma(b0, c50); c51 = av.fma(b1, c51); c52 = av.fma(b2, c52);
            av = DoubleVector.broadcast(S, ap[pa + 6]);
            c60 = av.fma(b0, c60); c61 = av.fma(b1, c61); c62 = av.fma(b2, c62);
            av = DoubleVector.broadcast(S, ap[pa + 7]);
            c70 = av.fma(b0, c70); c71 = av.fma(b1, c71); c72 = av.fma(b2, c72);
        }
        c00.add(c01).add(c02).add(c10).add(c11).add(c12).add(c20).add(c21).add(c22).add(c30).add(c31).add(c32)
                .add(c40).add(c41).add(c42).add(c50).add(c51).add(c52).add(c60).add(c61).add(c62)
                .add(c70).add(c71).add(c72).intoArray(tile, 0);
    }

    public static void main(String[] args) {
        int kc = Integer.parseInt(args.length > 0 ? args[0] : "512");
        int mc = 126; // rows of the A block (7 x 18); 8 x 16 = 128 for k8
        double[] ap = new double[128 * kc], bp = new double[NR * kc * 4], tile = new double[VL];
        for (int i = 0; i < ap.length; i++) ap[i] = (i % 7) * 0.001;
        for (int i = 0; i < bp.length; i++) bp[i] = (i % 5) * 0.001;
        for (int round = 0; round < 6; round++) {
            for (String mode : new String[] {"hot7", "hot8", "walk7", "walk8"}) {
                boolean eight = mode.endsWith("8"), walk = mode.startsWith("walk");
                int mr = eight ? 8 : 7, tiles = walk ? (eight ? 16 : 18) : 18;
                long flops = 0, t0 = System.nanoTime();
                for (int rep = 0; rep < 200; rep++) {
                    for (int q = 0; q < 4; q++) {
                        for (int t = 0; t < tiles; t++) {
                            int ao = walk ? t * mr * kc : 0;
                            if (eight) k8(kc, ap, ao, bp, walk ? q * NR * kc : 0, tile);
                            else k7(kc, ap, ao, bp, walk ? q * NR * kc : 0, tile);
                            flops += 2L * mr * NR * kc;
                        }
                    }
                }
                long t1 = System.nanoTime();
                if (round >= 2) System.out.printf("%s kc=%d %.1f GFLOP/s%n", mode, kc, flops / (double) (t1 - t0));
            }
        }
    }
}
