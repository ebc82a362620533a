package org.flatminima.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import org.flatminima.engine.nn.Network;
import org.flatminima.experiments.data.Idx;
import org.flatminima.experiments.models.ModelSpec;
import org.flatminima.experiments.models.Weights;
import org.flatminima.kernels.DType;

/**
 * Files for tests of {@code flatminima analyze} (here and in the sweeps module, through the test jar): random
 * 28 x 28 IDX images and labels, and random weights of an architecture.
 *
 * @param images the IDX images (raw, not gzip)
 * @param labels the IDX labels
 */
public record IdxFiles(Path images, Path labels) {

    /**
     * {@code n} images in {@code dir} whose pixels are 0 except one in {@code oneIn} (uniform in 0..255), and
     * labels uniform in 0..9, drawn from {@code seed}.
     */
    public static IdxFiles random(Path dir, int n, long seed, int oneIn) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[] px = new byte[n * 28 * 28];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (rnd.nextInt(oneIn) == 0 ? rnd.nextInt(256) : 0);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = rnd.nextInt(10);
        }
        IdxFiles f = new IdxFiles(dir.resolve("images.idx"), dir.resolve("labels.idx"));
        Idx.writeImages(f.images(), new Idx.Images(n, 28, 28, px), false);
        Idx.writeLabels(f.labels(), y, false);
        return f;
    }

    /** {@code dir/name}: f64 weights of {@code arch} from its initialiser with {@code seed}, PyTorch names. */
    public static Path weights(Path dir, String name, String arch, long seed) throws IOException {
        Network net = ModelSpec.parse(arch).network();
        Path p = dir.resolve(name);
        Weights.save(p, net, net.initParams(DType.F64, seed), Map.of("format", "pt"));
        return p;
    }
}
