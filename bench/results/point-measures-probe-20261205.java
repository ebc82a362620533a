// Issue 17, 2026-12-05, docs/PERFORMANCE.md section
// "E2's checkpoints: per-sample Gram products, pooling under the taps, a faster authors' estimator":
// E2's per-point measures (PointMeasures) of the one-epoch CNN on 10,000 MNIST training points, f64, chunks of
// 1,000: the margins alone, with the input margins, and the exact traces with the margins, wall time per round;
// with "compare", the margins from exact-ggn's forward passes against their own (3,000 points).
//   javac -cp JAR -d out bench/results/point-measures-probe-20261205.java
//   java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp out:JAR PmProbe [compare]
import java.nio.file.Path;
import org.flatminima.engine.*;
import org.flatminima.engine.curvature.Curvature;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.Mode;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.measures.PointMeasures;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * E2's per-point measures of a trained CNN on 10,000 MNIST training points, f64: traces, margins, input margins apart.
 * With the argument "compare": the margins taken from exact-ggn's forward passes against those of the measures'
 * own forward passes (no traces), on the first 3,000 points: the largest relative differences.
 */
class PmProbe {
    public static void main(String[] a) throws Exception {
        String arch = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),flatten,linear(128),relu,linear(10)";
        boolean compare = a.length > 0 && a[0].equals("compare");
        int k = compare ? 3000 : 10000;
        Network net = ModelSpec.parse(arch).network().withMode(Mode.EVAL);
        Dataset data = Dataset.readIdx("data", Path.of("/root/.cache/flatminima/mnist/train-images-idx3-ubyte"),
                Path.of("/root/.cache/flatminima/mnist/train-labels-idx1-ubyte"), 10, k).as(DType.F64).as(Dataset.Layout.IMAGES);
        Tensor theta = Weights.load(Path.of("/tmp/traincnn/model.safetensors"), net, DType.F64);
        int[] y = java.util.Arrays.copyOf(data.labels(), k);
        Tensor x = data.images().slice(0, 0, k);
        if (compare) {
            PointMeasures p0 = PointMeasures.of(net, theta, x, y, null, true, 1000);
            PointMeasures p1 = PointMeasures.of(net, theta, x, y, Curvature.Method.EXACT_GGN, true, 1000);
            double mo = 0, ma = 0, mi = 0; int diffs = 0, pred = 0;
            for (int i = 0; i < k; i++) {
                mo = Math.max(mo, Math.abs(p0.margins().output()[i] - p1.margins().output()[i]) / Math.abs(p0.margins().output()[i]));
                ma = Math.max(ma, Math.abs(p0.affineTraceExpr()[i] - p1.affineTraceExpr()[i]) / Math.abs(p0.affineTraceExpr()[i]));
                mi = Math.max(mi, Math.abs(p0.inputMargin()[i] - p1.inputMargin()[i]) / Math.abs(p0.inputMargin()[i]));
                diffs += p0.margins().output()[i] != p1.margins().output()[i] ? 1 : 0;
                pred += p0.margins().predicted()[i] != p1.margins().predicted()[i] ? 1 : 0;
            }
            System.out.printf("output margin max rel %.3g (%d differ), affine %.3g, input %.3g, predicted differ %d%n", mo, diffs, ma, mi, pred);
            return;
        }
        for (int r = 0; r < 2; r++) {
            long t0 = System.nanoTime();
            PointMeasures.of(net, theta, x, y, null, false, 1000);
            long t1 = System.nanoTime();
            PointMeasures.of(net, theta, x, y, null, true, 1000);
            long t2 = System.nanoTime();
            PointMeasures.of(net, theta, x, y, Curvature.Method.EXACT_GGN, false, 1000);
            long t3 = System.nanoTime();
            System.out.printf("margins %.0f ms, + input margins %.0f ms, exact traces + margins %.0f ms%n", (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
        }
    }
}
