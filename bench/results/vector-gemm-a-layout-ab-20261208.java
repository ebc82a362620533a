// The vector GEMM's A packed without a transpose (by rows without transA, by depths with it), against the build
// before (a scatter of 16 floats into MR-interleaved panels without transA, a scalar loop with it): one JVM, both
// builds' kernels jars in two class loaders, FloatGemm/DoubleGemm.serial (one thread) alternating in 0.4 s rounds,
// 8 rounds, the first 2 dropped; alpha 0.5, beta 0; "best new/old" is the ratio of the best round of each, and
// "same bits" compares the two C's (every product gives the same bits in both builds).
//
//   javac -d . VgAb2.java
//   java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp . VgAb2 <n> <NN|TN|NT|TT> <f32|f64> \
//       <old kernels jar> <new kernels jar>          (-XX:MaxVectorSize=32 for the 3-row kernel of 256-bit vectors)
//
// AMD EPYC Zen 5 (family 0x1A), 2026-12-08, GFLOP/s per round (old = 881cd36, new = this commit):
//   f32 n=256 op=NN: old 194 new 212 old 191 new 208 old 193 new 212 old 194 new 208 old 190 new 210 old 189 new 207  best new/old 1.092  same bits true
//   f32 n=256 op=TN: old 160 new 201 old 158 new 201 old 159 new 201 old 158 new 200 old 158 new 199 old 160 new 200  best new/old 1.257  same bits true
//   f32 n=256 op=NT: old 177 new 191 old 177 new 191 old 180 new 193 old 180 new 193 old 180 new 192 old 180 new 191  best new/old 1.072  same bits true
//   f32 n=256 op=TT: old 148 new 186 old 150 new 187 old 151 new 188 old 149 new 186 old 148 new 184 old 147 new 183  best new/old 1.247  same bits true
//   f32 n=512 op=NN: old 215 new 227 old 219 new 226 old 220 new 232 old 220 new 233 old 220 new 232 old 222 new 235  best new/old 1.060  same bits true
//   f32 n=512 op=TN: old 193 new 222 old 195 new 228 old 197 new 231 old 199 new 232 old 199 new 229 old 195 new 228  best new/old 1.164  same bits true
//   f32 n=512 op=NT: old 213 new 222 old 213 new 224 old 214 new 223 old 215 new 225 old 214 new 224 old 213 new 224  best new/old 1.045  same bits true
//   f32 n=512 op=TT: old 193 new 217 old 195 new 219 old 195 new 221 old 194 new 221 old 195 new 221 old 197 new 222  best new/old 1.128  same bits true
//   f32 n=1024 op=NN: old 219 new 218 old 218 new 217 old 216 new 218 old 214 new 219 old 210 new 228 old 223 new 224  best new/old 1.026  same bits true
//   f32 n=1024 op=TN: old 204 new 230 old 203 new 212 old 205 new 220 old 217 new 231 old 215 new 233 old 210 new 219  best new/old 1.073  same bits true
//   f32 n=1024 op=NT: old 231 new 232 old 228 new 220 old 220 new 215 old 208 new 214 old 211 new 212 old 209 new 213  best new/old 1.006  same bits true
//   f32 n=1024 op=TT: old 194 new 210 old 191 new 202 old 192 new 203 old 189 new 202 old 192 new 202 old 197 new 209  best new/old 1.068  same bits true
//   f64 n=256 op=NN: old 101 new 103 old 102 new 103 old 102 new 104 old 103 new 104 old 103 new 105 old 103 new 104  best new/old 1.013  same bits true
//   f64 n=256 op=TN: old 91 new 102 old 91 new 104 old 93 new 105 old 93 new 106 old 94 new 105 old 93 new 104  best new/old 1.135  same bits true
//   f64 n=256 op=NT: old 104 new 106 old 103 new 105 old 103 new 100 old 103 new 105 old 103 new 106 old 103 new 106  best new/old 1.023  same bits true
//   f64 n=256 op=TT: old 91 new 102 old 89 new 101 old 90 new 101 old 91 new 102 old 90 new 103 old 92 new 103  best new/old 1.126  same bits true
//   f64 n=512 op=NN: old 116 new 116 old 116 new 117 old 116 new 116 old 116 new 116 old 116 new 115 old 115 new 117  best new/old 1.002  same bits true
//   f64 n=512 op=TN: old 108 new 114 old 110 new 113 old 108 new 113 old 106 new 113 old 107 new 112 old 108 new 113  best new/old 1.038  same bits true
//   f64 n=512 op=NT: old 113 new 113 old 114 new 115 old 113 new 114 old 113 new 114 old 113 new 111 old 108 new 110  best new/old 1.008  same bits true
//   f64 n=512 op=TT: old 102 new 109 old 104 new 110 old 104 new 110 old 103 new 110 old 106 new 109 old 102 new 111  best new/old 1.050  same bits true
//   f64 n=1024 op=NN: old 106 new 110 old 107 new 108 old 105 new 113 old 105 new 109 old 104 new 107 old 104 new 107  best new/old 1.053  same bits true
//   f64 n=1024 op=TN: old 100 new 103 old 97 new 107 old 102 new 105 old 101 new 105 old 99 new 105 old 100 new 104  best new/old 1.041  same bits true
//   f64 n=1024 op=NT: old 106 new 105 old 106 new 109 old 105 new 106 old 103 new 108 old 104 new 107 old 101 new 107  best new/old 1.033  same bits true
//   f64 n=1024 op=TT: old 108 new 110 old 105 new 110 old 107 new 109 old 103 new 105 old 110 new 111 old 105 new 110  best new/old 1.010  same bits true
// with -XX:MaxVectorSize=32 (the 3 x 3 kernel of 256-bit vectors):
//   f32 n=256 op=NN: old 103 new 103 old 103 new 101 old 101 new 101 old 101 new 103 old 101 new 101 old 101 new 101  best new/old 1.000  same bits true
//   f32 n=256 op=TN: old 75 new 98 old 74 new 97 old 74 new 98 old 75 new 99 old 75 new 100 old 75 new 98  best new/old 1.338  same bits true
//   f32 n=1024 op=NN: old 106 new 104 old 108 new 109 old 111 new 109 old 108 new 108 old 111 new 110 old 111 new 111  best new/old 0.995  same bits true
//   f32 n=1024 op=TN: old 104 new 107 old 104 new 105 old 104 new 107 old 104 new 107 old 102 new 104 old 102 new 107  best new/old 1.027  same bits true
//   f64 n=256 op=NN: old 52 new 51 old 53 new 50 old 53 new 52 old 53 new 51 old 53 new 51 old 52 new 51  best new/old 0.975  same bits true
//   f64 n=256 op=TN: old 45 new 51 old 45 new 50 old 45 new 50 old 45 new 50 old 45 new 51 old 45 new 51  best new/old 1.118  same bits true
//   f64 n=1024 op=NN: old 56 new 54 old 54 new 53 old 55 new 54 old 55 new 54 old 55 new 55 old 54 new 54  best new/old 0.979  same bits true
//   f64 n=1024 op=TN: old 51 new 47 old 51 new 48 old 53 new 49 old 53 new 49 old 52 new 47 old 53 new 49  best new/old 0.929  same bits true

import java.lang.foreign.*;
import java.lang.invoke.*;
import java.net.*;
import java.nio.file.*;

// old jar vs new jar, same process, two class loaders; calls org.flatminima.kernels.vector.{Float,Double}Gemm.serial
public class VgAb2 {
    public static void main(String[] args) throws Throwable {
        int n = Integer.parseInt(args[0]);
        boolean ta = args[1].charAt(0) == 'T', tb = args[1].charAt(1) == 'T';
        boolean f = args[2].equals("f32");
        Class<?> ty = f ? float.class : double.class;
        MethodHandle[] h = new MethodHandle[2];
        for (int v = 0; v < 2; v++) {
            URLClassLoader cl = new URLClassLoader(new URL[] {Path.of(args[3 + v]).toUri().toURL()}, VgAb2.class.getClassLoader());
            Class<?> g = Class.forName("org.flatminima.kernels.vector." + (f ? "Float" : "Double") + "Gemm", true, cl);
            var m = g.getDeclaredMethod("serial", boolean.class, boolean.class, int.class, int.class, int.class, ty,
                    MemorySegment.class, int.class, MemorySegment.class, int.class, ty, MemorySegment.class, int.class);
            m.setAccessible(true);
            h[v] = MethodHandles.lookup().unreflect(m);
        }
        Arena arena = Arena.ofConfined();
        long bytes = (long) n * n * (f ? 4 : 8);
        MemorySegment a = arena.allocate(bytes, 64), b = arena.allocate(bytes, 64), c0 = arena.allocate(bytes, 64), c1 = arena.allocate(bytes, 64);
        java.util.Random rnd = new java.util.Random(1);
        for (long i = 0; i < (long) n * n; i++) {
            if (f) { a.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f); b.setAtIndex(ValueLayout.JAVA_FLOAT, i, rnd.nextFloat() - 0.5f); }
            else { a.setAtIndex(ValueLayout.JAVA_DOUBLE, i, rnd.nextDouble() - 0.5); b.setAtIndex(ValueLayout.JAVA_DOUBLE, i, rnd.nextDouble() - 0.5); }
        }
        double flop = 2.0 * n * n * n;
        StringBuilder sb = new StringBuilder(args[2] + " n=" + n + " op=" + args[1] + ":");
        double[] best = new double[2];
        for (int round = 0; round < 8; round++) {
            for (int v = 0; v < 2; v++) {
                MemorySegment c = v == 0 ? c0 : c1;
                long t0 = System.nanoTime(); int reps = 0;
                while (System.nanoTime() - t0 < 400_000_000L) {
                    if (f) h[v].invoke(ta, tb, n, n, n, 0.5f, a, n, b, n, 0f, c, n);
                    else h[v].invoke(ta, tb, n, n, n, 0.5, a, n, b, n, 0.0, c, n);
                    reps++;
                }
                double g = flop / ((System.nanoTime() - t0) / 1e3 / reps) / 1e3;
                if (round >= 2) { sb.append(String.format(" %s %.0f", v == 0 ? "old" : "new", g)); best[v] = Math.max(best[v], g); }
            }
        }
        System.out.println(sb + String.format("  best new/old %.3f", best[1] / best[0]) + "  same bits " + (c0.mismatch(c1) < 0));
    }
}
