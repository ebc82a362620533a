// The vector GEMM's micro-kernel as C2 compiles it: the loop's FMAs and its loads and stores on the stack
// (accumulators that did not fit the registers). docs/PERFORMANCE.md, "The vector GEMM's tile within the registers".
//
//   bench/results/gemm-kernel-disasm-20261205.sh [METHOD] [JVM flags...]
//
// runs this file (source mode) with -XX:CompileCommand=print on FloatGemm::METHOD (default kernel7), extracts the
// last C2 compilation's code bytes from the JVM's output and disassembles them with objdump. This class only
// keeps the vector GEMM busy long enough for C2 to compile its kernel.
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.flatminima.kernels.Backend;
import org.flatminima.kernels.DType;
import org.flatminima.kernels.vector.VectorBackend;

class GemmKernelDisasm {
    public static void main(String[] args) throws Exception {
        Backend b = VectorBackend.create();
        int n = 512;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(4L * n * n, 64), x = arena.allocate(4L * n * n, 64);
            MemorySegment c = arena.allocate(4L * n * n, 64);
            for (long i = 0; i < (long) n * n; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.25f);
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (i % 5) * 0.5f);
            }
            for (int r = 0; r < 60; r++) {
                b.gemm(DType.F32, false, false, n, n, n, 1.0, a, n, x, n, 0.0, c, n);
            }
        }
    }
}
