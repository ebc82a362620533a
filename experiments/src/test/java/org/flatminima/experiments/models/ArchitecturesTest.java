package org.flatminima.experiments.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Dropout;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.ZeroPad2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The authors' architectures by name (github.com/daniellengyel/deep_generalizability, nets/Nets.py): their
 * expansions, parameter counts computed by hand from the authors' layer definitions, and round trips.
 */
class ArchitecturesTest {

    /**
     * Parameter counts by hand, from the authors' definitions ({@code Linear(i,o)}: i o + o; {@code Conv2d(c,o,5)}:
     * 25 c o + o; {@code BatchNorm(c)}: 2 c):
     * <ul>
     *   <li>LeNet MNIST: conv1 1*6*25+6 = 156, conv2 6*16*25+16 = 2,416, fc1 (16*4*4=256)*120+120 = 30,840,
     *       fc2 120*84+84 = 10,164, fc3 84*10+10 = 850: 44,426. CIFAR-10: conv1 3*6*25+6 = 456, fc1
     *       (16*5*5=400)*120+120 = 48,120: 62,006.</li>
     *   <li>KeskarC3 MNIST: conv1 1*24*25+24 = 624, bn1 48, conv2 24*24*25+24 = 14,424, bn2 48, fc1
     *       (24*28*28=18,816)*192+192 = 3,612,864, bn3 384, fc2 192*86+86 = 16,598, bn4 172, out 86*10+10 = 870:
     *       3,646,032. CIFAR-10: conv1 3*24*25+24 = 1,824, fc1 (24*32*32=24,576)*192+192 = 4,718,784:
     *       4,753,152.</li>
     *   <li>SimpleNet(width 256, 8 layers) MNIST: 784*256+256 = 200,960, 7 * (256*256+256) = 460,544, 256*10+10 =
     *       2,570: 664,074. CIFAR-10: 3072*256+256 = 786,688: 1,249,802.</li>
     *   <li>BatchNormSimpleNet (width 512) MNIST: 784*512+512 = 401,920, 4 * (512*512+512) = 1,050,624, 5 bn *
     *       1,024 = 5,120, 512*10+10 = 5,130: 1,462,794. CIFAR-10: 3072*512+512 = 1,573,376: 2,634,250.</li>
     * </ul>
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
        lenet:1x28x28-10                          | 44426
        lenet:3x32x32-10                          | 62006
        keskar-c3:1x28x28-10                      | 3646032
        keskar-c3:3x32x32-10                      | 4753152
        simplenet:1x28x28-10                      | 664074
        simplenet(width=256,layers=8):3x32x32-10  | 1249802
        simplenet-bn:1x28x28-10                   | 1462794
        simplenet-bn:3x32x32-10                   | 2634250
        """)
    void namedArchitecturesHaveTheAuthorsParameterCountsAndRoundTrip(String spec, int parameters) {
        ModelSpec s = ModelSpec.parse(spec);
        assertThat(s.network().parameterCount()).isEqualTo(parameters);
        assertThat(s.named()).isEqualTo(spec);
        ModelSpec again = ModelSpec.parse(s.toString());
        assertThat(again).isEqualTo(s);
        assertThat(again.toString()).isEqualTo(s.toString());
        assertThat(again.named()).isNull();
        assertThat(s.classes()).isEqualTo(10);
    }

    @Test
    void expansionsAreTheAuthorsLayersInOrder() {
        assertThat(ModelSpec.parse("lenet:1x28x28-10").toString()).isEqualTo("seq:1x28x28:conv(6,5),relu,maxpool(2),"
                + "conv(16,5),relu,maxpool(2),flatten,linear(120),relu,linear(84),relu,linear(10),relu");
        // padding 16 = floor(31/2) + 1 - 0 for the convolutions, 15 = floor(29/2) + 1 - 0 before the pooling
        assertThat(ModelSpec.parse("keskar-c3:1x28x28-10").toString()).isEqualTo("seq:1x28x28:"
                + "conv(24,5,stride=2,pad=16),batchnorm,relu,zeropad(15),maxpool(3,stride=2),"
                + "conv(24,5,stride=2,pad=16),batchnorm,relu,zeropad(15),maxpool(3,stride=2),flatten,"
                + "linear(192),batchnorm,relu,dropout(0.5),linear(86),batchnorm,relu,dropout(0.5),linear(10)");
        assertThat(ModelSpec.parse("keskar-c3:3x32x32-10").toString()).startsWith("seq:3x32x32:"
                + "conv(24,5,stride=2,pad=18),batchnorm,relu,zeropad(17),maxpool(3,stride=2),");
        assertThat(ModelSpec.parse("simplenet(layers=2,width=7):1x2x2-3").toString()).isEqualTo("mlp:4-7-7-3");
        assertThat(ModelSpec.parse("simplenet-bn(width=6):1x2x2-3").toString()).isEqualTo("mlp:4-6-6-6-6-6-3,bn");
    }

    /** The authors' modules with parameters map in forward order onto Sequential indices (docs/models.md). */
    @Test
    void authorsModulesMapOntoSequentialIndices() {
        List<String> keskar = ModelSpec.parse("keskar-c3:1x28x28-10").network().layout().entries().stream()
                .map(e -> e.name()).filter(n -> n.endsWith(".weight")).toList();
        // conv1, bn1, conv2, bn2, fc1, bn3, fc2, bn4, out_layer
        assertThat(keskar).containsExactly("0.weight", "1.weight", "5.weight", "6.weight", "11.weight", "12.weight",
                "15.weight", "16.weight", "19.weight");
        List<String> bnNet = ModelSpec.parse("simplenet-bn:1x28x28-10").network().layout().entries().stream()
                .map(e -> e.name()).filter(n -> n.endsWith(".weight")).toList();
        // fc1, bn1, fc2, bn2, ..., fc5, bn5, fc_final
        assertThat(bnNet).containsExactly("0.weight", "1.weight", "3.weight", "4.weight", "6.weight", "7.weight",
                "9.weight", "10.weight", "12.weight", "13.weight", "15.weight");
    }

    /** The authors' KeskarC3 keeps the image H x W through both blocks (so fc1 takes 24 H W), odd or even H. */
    @ParameterizedTest
    @CsvSource({"28", "32", "7", "6", "13"})
    void keskarC3KeepsTheImageSize(int h) {
        ModelSpec s = ModelSpec.parse("keskar-c3:1x" + h + "x" + h + "-10");
        List<int[]> shapes = s.outputShapes();
        assertThat(shapes.get(0)).containsExactly(24, h, h); // conv1
        int pp = (h + 1) / 2 + 1 - h % 2; // the authors' pool padding
        assertThat(shapes.get(3)).containsExactly(24, h + 2 * pp, h + 2 * pp); // F.pad
        assertThat(shapes.get(4)).containsExactly(24, h, h); // pool1
        assertThat(shapes.get(9)).containsExactly(24, h, h); // pool2
        assertThat(shapes.get(10)).containsExactly(24 * h * h); // flatten
        assertThat(s.module().layers().get(3)).isEqualTo(new ZeroPad2d((h + 1) / 2 + 1 - h % 2));
    }

    @Test
    void mlpOptionsPutBatchNormBeforeAndDropoutAfterEachHiddenRelu() {
        ModelSpec s = ModelSpec.parse(" mlp : 4 - 3x2 - 2 , dropout = 0.50 , bn ");
        assertThat(s.toString()).isEqualTo("mlp:4-3-3-2,bn,dropout=0.5");
        assertThat(s.module().layers()).containsExactly(new Linear(4, 3), BatchNorm.batchNorm1d(3), new ReLU(),
                new Dropout(0.5), new Linear(3, 3), BatchNorm.batchNorm1d(3), new ReLU(), new Dropout(0.5),
                new Linear(3, 2));
        assertThat(s.network().layout().stateDictNames()).containsExactly("0.weight", "0.bias", "1.weight",
                "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked", "4.weight", "4.bias",
                "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked", "8.weight",
                "8.bias");
        assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
        assertThat(ModelSpec.parse("mlp:784-512x2-10").toString()).isEqualTo("mlp:784-512-512-10");
        assertThat(ModelSpec.parse("mlp:4-3-2,dropout=0.25").toString()).isEqualTo("mlp:4-3-2,dropout=0.25");
        assertThat(ModelSpec.parse("mlp:4-2,bn").module().layers()).containsExactly(new Linear(4, 2));
    }

    @Test
    void seqTakesDropoutAndZeropad() {
        ModelSpec s = ModelSpec.parse("seq:1x4x4:zeropad(1),conv(2,3),relu,flatten,dropout(.125),linear(3)");
        assertThat(s.toString()).isEqualTo("seq:1x4x4:zeropad(1),conv(2,3),relu,flatten,dropout(0.125),linear(3)");
        assertThat(s.outputShapes().get(0)).containsExactly(1, 6, 6);
        assertThat(s.module().layers().get(4)).isEqualTo(new Dropout(0.125));
        assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        lenett:1x28x28-10                | unknown kind 'lenett' (did you mean 'lenet'?); expected mlp:
        keskar:1x28x28-10                | unknown kind 'keskar' (did you mean 'keskar-c3'?)
        simplenetbn:1x28x28-10           | unknown kind 'simplenetbn' (did you mean 'simplenet-bn'?)
        resnet18:1x28x28-10              | unknown kind 'resnet18'; expected mlp:IN-H1-...-OUT, affine:IN-OUT or seq:CxHxW:L1,L2,..., or a named architecture lenet, keskar-c3, simplenet, simplenet-bn
        lenet:1x28x28                    | lenet needs the input shape and the class count: lenet:CxHxW-CLASSES
        lenet:28x28-10                   | input shape '28x28' must be CxHxW
        lenet:1x28x28-0                  | class count must be a positive integer, got '0'
        lenet(width=3):1x28x28-10        | 'lenet(width=3)': unknown argument 'width='; lenet takes no arguments
        simplenet(depth=3):1x28x28-10    | unknown argument 'depth='; simplenet takes width=N, layers=N
        simplenet(3):1x28x28-10          | positional argument '3'; simplenet takes width=N, layers=N
        simplenet(width=0):1x28x28-10    | width must be a positive integer, got '0'
        keskar-c3:1x28x32-10             | keskar-c3 needs a square image (HxH), got 28x32
        lenet:1x8x8-10                   | expands to 'seq:1x8x8:conv(6,5),relu,maxpool(2),conv(16,5)
        mlp:784-512-10,bn=1              | bn takes no value ('bn=1'); mlp options are bn and dropout=P
        mlp:784-512-10,dropout           | dropout needs =P ('dropout')
        mlp:784-512-10,dropout=1.5       | option 'dropout=1.5' must be between 0 and 1, got '1.5'
        mlp:784-512-10,dropout=x         | option 'dropout=x' is not a decimal number: 'x'
        mlp:784-512-10,bn,bn             | given twice ('bn')
        mlp:784-512-10,relu              | unknown option ('relu'); mlp options are bn and dropout=P
        mlp:784-512x0-10                 | size 1 '512x0' (repeat count) must be a positive integer, got '0'
        affine:784-10,bn                 | affine takes no options ('bn')
        seq:1x8x8:flatten,dropout(2),linear(2) | layer 1 'dropout(2)': P must be between 0 and 1, got '2'
        seq:1x8x8:flatten,dropout,linear(2)    | layer 1 'dropout': dropout needs (P) with 0 <= P <= 1, e.g. dropout(0.5)
        seq:1x8x8:flatten,zeropad(1),linear(2) | layer 1 'zeropad(1)': zeropad needs an image input [N, C, H, W], got [N, 64]
        """)
    void badNamedAndOptionSpecsGiveOneLine(String spec, String message) {
        assertThatThrownBy(() -> ModelSpec.parse(spec))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining(message.strip())
                .hasMessageStartingWith("spec '" + spec + "': ")
                .hasMessageNotContaining("\n");
    }
}
