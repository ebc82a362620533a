// The vector GEMM at n x n, one thread, 1.5 s warm-up then timed calls: min and median GFLOP/s. Used with a build
// whose KC read -Dfmx.kc (not kept): javac --add-modules jdk.incubator.vector -cp kernels/target/classes KcProbe.java;
// java --add-modules jdk.incubator.vector -Dfmx.kc=256 -cp kernels/target/classes:. KcProbe 1024 f32 3000
import java.lang.foreign.*;
import org.flatminima.kernels.*;
public class KcProbe {
    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]); DType type = DType.parse(args[1]); long ms = Long.parseLong(args[2]);
        Backend impl = Backends.probe("vector").backend(); impl.setThreads(1);
        long count = (long) n * n; Arena arena = Arena.ofShared();
        MemorySegment a = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        MemorySegment b = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        MemorySegment c = arena.allocate(count * type.byteSize(), GemmProbe.ALIGNMENT);
        GemmProbe.fillUniform(type, a, count, 1); GemmProbe.fillUniform(type, b, count, 2);
        long end = System.nanoTime() + 1500_000_000L;
        while (System.nanoTime() < end) impl.gemm(type, false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
        java.util.ArrayList<Long> t = new java.util.ArrayList<>();
        end = System.nanoTime() + ms * 1_000_000L;
        while (System.nanoTime() < end) { long s = System.nanoTime(); impl.gemm(type, false, false, n, n, n, 1.0, a, n, b, n, 0.0, c, n); t.add(System.nanoTime() - s); }
        java.util.Collections.sort(t);
        double fl = 2.0 * n * n * n;
        System.out.printf("%s n=%d calls=%d min %.1f med %.1f GFLOP/s%n", System.getProperty("fmx.kc"), n, t.size(), fl / t.get(0), fl / t.get(t.size() / 2));
    }
}
