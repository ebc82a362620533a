// Issue 17, 2026-12-05, docs/PERFORMANCE.md section
// "E2's checkpoints: per-sample Gram products, pooling under the taps, a faster authors' estimator":
// the authors' per-point estimator (PyHessian's loop and rule, paper settings, float32) on the first K MNIST training
// points of the one-epoch CNN in /tmp/traincnn (any `flatminima train` of E2's CNN), per round: wall time, probes,
// the two halves' probes, and a hash of the per-point values' bits (the same bits, or not).
//   javac -cp JAR -d out bench/results/authors-estimator-probe-20261205.java
//   java --enable-native-access=ALL-UNNAMED --add-modules jdk.incubator.vector -cp out:JAR AuthorsProbe 200 2
import java.nio.file.Path;
import org.flatminima.engine.*;
import org.flatminima.engine.curvature.PerPointHutchinson;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Dataset;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/** The authors' per-point estimator on the first K MNIST training points of a trained CNN: wall time per round. */
class AuthorsProbe {
    public static void main(String[] a) throws Exception {
        String arch = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),flatten,linear(128),relu,linear(10)";
        int k = Integer.parseInt(a[0]);
        int rounds = Integer.parseInt(a[1]);
        Network net = ModelSpec.parse(arch).network();
        Dataset data = Dataset.readIdx("data", Path.of("/root/.cache/flatminima/mnist/train-images-idx3-ubyte"),
                Path.of("/root/.cache/flatminima/mnist/train-labels-idx1-ubyte"), 10, k).as(DType.F32).as(Dataset.Layout.IMAGES);
        Tensor theta = Weights.load(Path.of("/tmp/traincnn/model.safetensors"), net, DType.F32);
        int[] y = java.util.Arrays.copyOf(data.labels(), k);
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            PerPointHutchinson.PerPointTraces est = PerPointHutchinson.authors(
                    PerPointHutchinson.pointLosses(net, data.images().slice(0, 0, k), y), k, theta,
                    PerPointHutchinson.AuthorsOptions.paper().withSeed(5));
            long t1 = System.nanoTime();
            double s = 0; long pr = 0; long h = 0;
            for (int i = 0; i < k; i++) { s += est.values()[i]; pr += est.probes()[i]; h = h * 31 + Double.doubleToLongBits(est.values()[i]); }
            long h1 = 0; for (int i = 0; i < k / 2; i++) h1 += est.probes()[i]; System.out.printf("halves %d / %d%n", h1, pr - h1); System.out.printf("round %d: %.0f ms, %d probes (%.3f ms/probe), sum %.9g hash %x%n", r, (t1 - t0) / 1e6, pr, (t1 - t0) / 1e6 / pr, s, h);
        }
    }
}
