// Issue 17 (per-op overhead): each W2/M4/W1 GEMM shape, native (OpenBLAS) against vector backend, f32, 1 thread;
// best of 5 samples of repeated calls, microseconds per call. Compile and run against bench/target/benchmarks.jar:
//   javac --add-modules jdk.incubator.vector -cp benchmarks.jar GemmShapes.java
//   OPENBLAS_NUM_THREADS=1 java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks.jar:. GemmShapes
import java.lang.foreign.*;
import java.util.*;
import org.flatminima.kernels.*;

public class GemmShapes {
    public static void main(String[] args) {
        Backend nat = Backends.get("native"), vec = Backends.get("vector");
        nat.setThreads(1); vec.setThreads(1);
        // shapes: m n k transA transB
        int[][] shapes = {
            {32,256,784,0,1},{32,256,256,0,1},{32,10,256,0,1},   // M4 forward x @ W^T
            {32,256,256,0,0},{32,256,10,0,0},                     // ga = g @ W
            {256,784,32,1,0},{256,256,32,1,0},{10,256,32,1,0},    // gb^T = g^T a
            {784,256,32,1,0},                                     // old gb = a^T g
            {32,512,784,0,1},{32,512,512,0,1},{32,10,512,0,1},    // W2 forward
            {32,512,512,0,0},{32,512,10,0,0},
            {512,784,32,1,0},{512,512,32,1,0},{10,512,32,1,0},
            {1000,10,784,0,1},{10,784,1000,1,0},{32,10,784,0,1},{10,784,32,1,0},
        };
        Arena ar = Arena.ofShared();
        Random r = new Random(1);
        System.out.println("m n k tA tB | openblas_us vector_us vec/blas");
        for (int[] s : shapes) {
            int m=s[0], n=s[1], k=s[2]; boolean ta=s[3]==1, tb=s[4]==1;
            MemorySegment a = ar.allocate((long)m*k*4, 64), b = ar.allocate((long)k*n*4, 64), c = ar.allocate((long)m*n*4, 64);
            for (long i=0;i<(long)m*k;i++) a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
            for (long i=0;i<(long)k*n;i++) b.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat());
            int lda = ta ? m : k, ldb = tb ? k : n;
            double[] t = new double[2];
            Backend[] bs = {nat, vec};
            for (int round = 0; round < 2; round++) for (int q = 0; q < 2; q++) {
                Backend be = bs[q];
                long reps = Math.max(20, 2_000_000_000L / (2L*m*n*k) );
                for (int i=0;i<reps;i++) be.gemm(DType.F32, ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
                double best = 1e18;
                for (int sIdx = 0; sIdx < 5; sIdx++) {
                    long t0 = System.nanoTime();
                    for (int i=0;i<reps;i++) be.gemm(DType.F32, ta, tb, m, n, k, 1, a, lda, b, ldb, 0, c, n);
                    best = Math.min(best, (System.nanoTime()-t0)/1e3/reps);
                }
                t[q] = best;
            }
            System.out.printf("%d %d %d %d %d | %.2f %.2f %.2f%n", m,n,k,s[3],s[4], t[0], t[1], t[1]/t[0]);
        }
    }
}
