import java.nio.file.*;
import java.util.*;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.*;
import org.flatminima.experiments.models.*;
import org.flatminima.kernels.DType;

public class XCheck {
    static String DIR;
    static double[] torch(String key) throws Exception {
        for (String l : Files.readAllLines(Path.of(DIR + "/torch_out.txt"))) {
            if (l.startsWith(key + " ")) return Arrays.stream(l.substring(key.length() + 1).split(" ")).mapToDouble(Double::parseDouble).toArray();
        }
        throw new IllegalStateException(key);
    }
    static Tensor input(int n, int h, boolean sin) {
        double[] v = new double[n * h * h];
        for (int i = 0; i < v.length; i++) v[i] = sin ? Math.sin((float) i) : Math.cos((float) i);
        return Tensor.of(DType.F32, v, n, 1, h, h);
    }
    static double maxDiff(double[] a, double[] b) {
        double m = 0; for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i])); return m;
    }
    public static void main(String[] a) throws Exception {
        DIR = a[0];
        String cnnSpec = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),flatten,linear(128),relu,linear(10)";
        String bnSpec = "seq:1x12x12:conv(4,3,stride=2,pad=1),batchnorm,tanh,avgpool(2),flatten,linear(6),batchnorm,relu,linear(3)";
        double[] tc = torch("cnn"), tb = torch("bn");
        for (String file : List.of("cnn_torch", "cnn_torch64")) for (DType dt : DType.values()) {
            Network net = ModelSpec.parse(cnnSpec).network();
            Tensor flat = Weights.load(Path.of(DIR + "/" + file + ".safetensors"), net, dt);
            double[] z = net.logits(Var.of(flat), input(2, 28, true)).value().toDoubleArray();
            System.out.printf("%s as %s: max |logits - torch| = %.3g%n", file, dt, maxDiff(z, tc));
            if (file.equals("cnn_torch") && dt == DType.F32) Weights.save(Path.of(DIR + "/cnn_ours.safetensors"), net, flat, Map.of("format", "pt"));
        }
        Network bn = ModelSpec.parse(bnSpec).network();
        Tensor flat = Weights.load(Path.of(DIR + "/bn_torch.safetensors"), bn, DType.F64);
        System.out.println("bn num_batches_tracked " + bn.buffers().get("1.num_batches_tracked").item());
        double[] z = bn.withMode(Mode.EVAL).logits(Var.of(flat), input(5, 12, false)).value().toDoubleArray();
        System.out.printf("bn eval f64: max |logits - torch| = %.3g%n", maxDiff(z, tb));
        Weights.save(Path.of(DIR + "/bn_ours.safetensors"), bn, flat.to(DType.F32), Map.of("format", "pt"));
    }
}
