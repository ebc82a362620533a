package org.flatminima.experiments.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.engine.nn.AvgPool2d;
import org.flatminima.engine.nn.BatchNorm;
import org.flatminima.engine.nn.Conv2d;
import org.flatminima.engine.nn.Flatten;
import org.flatminima.engine.nn.Linear;
import org.flatminima.engine.nn.MaxPool2d;
import org.flatminima.engine.nn.Module;
import org.flatminima.engine.nn.Network;
import org.flatminima.engine.nn.ReLU;
import org.flatminima.engine.nn.Sigmoid;
import org.flatminima.engine.nn.Softplus;
import org.flatminima.engine.nn.Tanh;
import org.flatminima.kernels.DType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

    static final String CNN = "seq:1x28x28:conv(32,3,pad=1),relu,maxpool(2),conv(64,3,pad=1),relu,maxpool(2),flatten,"
            + "linear(128),relu,linear(10)";

    /** Name -> shape of PyTorch's state_dict, written out by hand. */
    private static Map<String, int[]> shapes(Object... nameShape) {
        Map<String, int[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameShape.length; i += 2) {
            m.put((String) nameShape[i], (int[]) nameShape[i + 1]);
        }
        return m;
    }

    private static void assertStateDict(Network net, Map<String, int[]> expected) {
        Map<String, int[]> actual = Weights.expectedShapes(net.layout());
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        expected.forEach((name, shape) -> assertThat(actual.get(name)).as(name).containsExactly(shape));
    }

    @Test
    void mlpHasPyTorchNamesAndShapes() {
        ModelSpec s = ModelSpec.parse("mlp:784-512-512-10");
        assertThat(s.kind()).isEqualTo(ModelSpec.Kind.MLP);
        assertThat(s.sampleShape()).containsExactly(784);
        assertThat(s.module().layers()).containsExactly(new Linear(784, 512), new ReLU(), new Linear(512, 512),
                new ReLU(), new Linear(512, 10));
        Network net = s.network();
        assertStateDict(net, shapes("0.weight", new int[] {512, 784}, "0.bias", new int[] {512},
                "2.weight", new int[] {512, 512}, "2.bias", new int[] {512},
                "4.weight", new int[] {10, 512}, "4.bias", new int[] {10}));
        assertThat(net.parameterCount()).isEqualTo(784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10);
        assertThat(s.classes()).isEqualTo(10);
    }

    @Test
    void cnnHasPyTorchNamesAndShapes() {
        ModelSpec s = ModelSpec.parse(CNN);
        assertThat(s.sampleShape()).containsExactly(1, 28, 28);
        assertStateDict(s.network(), shapes("0.weight", new int[] {32, 1, 3, 3}, "0.bias", new int[] {32},
                "3.weight", new int[] {64, 32, 3, 3}, "3.bias", new int[] {64},
                "7.weight", new int[] {128, 3136}, "7.bias", new int[] {128},
                "9.weight", new int[] {10, 128}, "9.bias", new int[] {10}));
        assertThat(s.network().parameterCount()).isEqualTo(421_642);
        List<String> outs = s.outputShapes().stream().map(Arrays::toString).toList();
        assertThat(outs).containsExactly("[32, 28, 28]", "[32, 28, 28]", "[32, 14, 14]", "[64, 14, 14]",
                "[64, 14, 14]", "[64, 7, 7]", "[3136]", "[128]", "[128]", "[10]");
        assertThat(s.toString()).isEqualTo(CNN);
    }

    @Test
    void affineIsOneLinearLayer() {
        ModelSpec a = ModelSpec.parse("affine:784-10");
        assertThat(a.kind()).isEqualTo(ModelSpec.Kind.AFFINE);
        assertThat(a.module()).isEqualTo(ModelSpec.parse("mlp:784-10").module());
        assertThat(a.module().layers()).containsExactly(new Linear(784, 10));
        assertStateDict(a.network(), shapes("0.weight", new int[] {10, 784}, "0.bias", new int[] {10}));
        assertThat(a.toString()).isEqualTo("affine:784-10");
        assertThat(a).isNotEqualTo(ModelSpec.parse("mlp:784-10"));
    }

    @Test
    void everyLayerFormMapsOntoItsModuleWithInferredSizes() {
        // 3x32x32 -conv3-> 16x30x30 -conv3 s2 p1-> 16x15x15 -maxpool2-> 16x7x7 -maxpool3 s1-> 16x5x5 -avgpool2-> 16x2x2
        String spec = "seq:3x32x32:conv(16,3),relu,conv(16,3,stride=2,pad=1),tanh,batchnorm,maxpool(2),"
                + "maxpool(3,stride=1),avgpool(2),flatten,linear(32),batchnorm,relu,linear(10),avgpool(1,stride=1)";
        assertThatThrownBy(() -> ModelSpec.parse(spec)).isInstanceOf(SpecException.class); // avgpool on [N, 10]
        ModelSpec s = ModelSpec.parse(spec.substring(0, spec.lastIndexOf(",avgpool")));
        List<Module> expected = List.of(new Conv2d(3, 16, 3, 1, 0, true), new ReLU(), new Conv2d(16, 16, 3, 2, 1, true),
                new Tanh(), BatchNorm.batchNorm2d(16), new MaxPool2d(2, 2, 0), new MaxPool2d(3, 1, 0),
                new AvgPool2d(2, 2, 0), new Flatten(), new Linear(64, 32), BatchNorm.batchNorm1d(32), new ReLU(),
                new Linear(32, 10));
        assertThat(s.module().layers()).containsExactlyElementsOf(expected);
        assertThat(s.outputShapes().get(7)).containsExactly(16, 2, 2);
        assertStateDict(s.network(), shapes("0.weight", new int[] {16, 3, 3, 3}, "0.bias", new int[] {16},
                "2.weight", new int[] {16, 16, 3, 3}, "2.bias", new int[] {16},
                "4.weight", new int[] {16}, "4.bias", new int[] {16}, "4.running_mean", new int[] {16},
                "4.running_var", new int[] {16}, "4.num_batches_tracked", new int[] {},
                "9.weight", new int[] {32, 64}, "9.bias", new int[] {32},
                "10.weight", new int[] {32}, "10.bias", new int[] {32}, "10.running_mean", new int[] {32},
                "10.running_var", new int[] {32}, "10.num_batches_tracked", new int[] {},
                "12.weight", new int[] {10, 32}, "12.bias", new int[] {10}));
        assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
        assertThat(s.toString()).isEqualTo(spec.substring(0, spec.lastIndexOf(",avgpool")));
    }

    @Test
    void canonicalFormDropsDefaultsAndSpacesAndRoundTrips() {
        ModelSpec s = ModelSpec.parse(" seq : 1 x 8 x 8 : conv( 4 , 3 , pad = 1 , stride = 1 ) , relu , "
                + "maxpool(2, stride=2), avgpool(2,stride=1), conv(2,1,pad=0,stride=2), flatten , linear( 5 ) ");
        assertThat(s.toString()).isEqualTo("seq:1x8x8:conv(4,3,pad=1),relu,maxpool(2),avgpool(2,stride=1),"
                + "conv(2,1,stride=2),flatten,linear(5)");
        assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
        assertThat(ModelSpec.parse(s.toString()).toString()).isEqualTo(s.toString());
        assertThat(ModelSpec.parse("mlp: 784 - 100 -10").toString()).isEqualTo("mlp:784-100-10");
        for (String canonical : List.of("mlp:784-512-512-10", "affine:3072-10", CNN, "seq:3x4x4:flatten,linear(2)")) {
            assertThat(ModelSpec.parse(canonical).toString()).isEqualTo(canonical);
        }
    }

    @Test
    void smoothActivationsParseToTheirModulesAndRoundTrip() {
        String spec = "seq:1x6x6:conv(2,3),sigmoid,flatten,linear(5),softplus,linear(4),tanh,linear(3)";
        ModelSpec s = ModelSpec.parse(" seq:1x6x6: conv(2,3), sigmoid ,flatten,linear(5), softplus,linear(4),tanh,"
                + "linear(3)");
        assertThat(s.module().layers()).containsExactly(new Conv2d(1, 2, 3, 1, 0, true), new Sigmoid(),
                new Flatten(), new Linear(32, 5), new Softplus(), new Linear(5, 4), new Tanh(), new Linear(4, 3));
        assertThat(s.layers()).containsExactly(new ModelSpec.Layer.Conv(2, 3, 1, 0), new ModelSpec.Layer.Sigmoid(),
                new ModelSpec.Layer.Flatten(), new ModelSpec.Layer.Linear(5), new ModelSpec.Layer.Softplus(),
                new ModelSpec.Layer.Linear(4), new ModelSpec.Layer.Tanh(), new ModelSpec.Layer.Linear(3));
        assertThat(s.toString()).isEqualTo(spec);
        assertThat(ModelSpec.parse(s.toString())).isEqualTo(s);
        assertThat(ModelSpec.parse(s.toString()).module()).isEqualTo(s.module());
        assertThat(s.outputShapes().get(1)).containsExactly(2, 4, 4);
        // sigmoid(0) = 1/2 and softplus(0) = ln 2, through the parsed modules
        Network net = ModelSpec.parse("seq:1x1x2:flatten,sigmoid,softplus").network();
        Tensor out = net.logits(Var.of(Tensor.zeros(DType.F64, 0)), Tensor.zeros(DType.F64, 1, 1, 1, 2)).value();
        double expected = Math.log1p(Math.exp(0.5));
        assertThat(out.toDoubleArray()).containsExactly(expected, expected);
        assertThatThrownBy(() -> ModelSpec.parse("seq:1x8x8:flatten,sigmoid(2),linear(2)"))
                .isInstanceOf(SpecException.class).hasMessageContaining("sigmoid takes no arguments; write sigmoid");
        assertThatThrownBy(() -> ModelSpec.parse("seq:1x8x8:flatten,Softplus,linear(2)"))
                .isInstanceOf(SpecException.class).hasMessageContaining("(layer names are lower case: softplus)");
    }

    @Test
    void networksRunOnImageBatches() {
        for (String spec : List.of("mlp:784-16-10", CNN)) {
            Network net = ModelSpec.parse(spec).network();
            Tensor theta = net.initParams(DType.F64, 1);
            Tensor x = Tensor.full(DType.F64, 0.5, 2, 1, 28, 28);
            if (spec.startsWith("mlp")) {
                x = x.reshape(2, 28, 28);
            }
            assertThat(net.logits(Var.of(theta), x).shape()).containsExactly(2, 10);
        }
    }

    @Test
    void describeListsModulesShapesAndParameters() {
        String d = ModelSpec.parse(CNN).describe();
        assertThat(d).startsWith(CNN + "\nSequential(\n");
        assertThat(d).contains("(0): Conv2d(1, 32, kernel_size=3, stride=1, padding=1, bias=true)");
        assertThat(d).containsPattern("\\(6\\): Flatten\\(\\) +-> \\[3136\\]");
        assertThat(d).contains("7.weight [128, 3136], 7.bias [128]");
        assertThat(d).endsWith(")\ninput [1, 28, 28], 421,642 parameters\n");
        String bn = ModelSpec.parse("seq:1x4x4:flatten,batchnorm,linear(2)").describe();
        assertThat(bn).contains("1.weight [16], 1.bias [16], 1.running_mean [16] (buffer), 1.running_var [16] "
                + "(buffer), 1.num_batches_tracked [] (buffer)");
        assertThat(ModelSpec.parse("mlp:4-3-2").describe()).contains("# input flattened to 4");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
        ""                               | spec '': empty; expected mlp:IN-H1-...-OUT, affine:IN-OUT or seq:CxHxW:L1,L2,...
        784-10                           | spec '784-10': no kind prefix; expected
        cnn:1x28x28                      | spec 'cnn:1x28x28': unknown kind 'cnn'; expected mlp:
        mlp:784                          | spec 'mlp:784': an mlp needs at least IN and OUT (1 size given); expected mlp:IN-H1-...-OUT[,bn][,dropout=P], e.g. mlp:784-512x2-10,bn
        mlp:784-x-10                     | spec 'mlp:784-x-10': size 1 is not an integer: 'x'; expected mlp:IN-H1-...-OUT
        mlp:784-0-10                     | spec 'mlp:784-0-10': size 1 must be a positive integer, got '0'
        mlp:784--10                      | spec 'mlp:784--10': size 1 is not an integer: ''
        mlp:784-10-                      | spec 'mlp:784-10-': size 2 is not an integer: ''
        mlp:784-99999999999-10           | spec 'mlp:784-99999999999-10': size 1 is too large: '99999999999'
        affine:784-100-10                | spec 'affine:784-100-10': affine needs exactly IN and OUT (3 sizes given); expected affine:IN-OUT, e.g. affine:784-10
        seq:1x28x28                      | spec 'seq:1x28x28': seq needs an input shape and layers: seq:CxHxW:L1,L2,..., e.g. seq:1x28x28:flatten,linear(10)
        seq:28x28:flatten,linear(10)     | spec 'seq:28x28:flatten,linear(10)': input shape '28x28' must be CxHxW (channels x height x width), e.g. 1x28x28
        seq:1x0x28:flatten,linear(10)    | spec 'seq:1x0x28:flatten,linear(10)': input shape '1x0x28' must be a positive integer, got '0'
        seq:1x28x28:                     | spec 'seq:1x28x28:': layer 0 is empty
        seq:1x28x28:conv(32)             | spec 'seq:1x28x28:conv(32)': layer 0 'conv(32)': conv needs (OUT,K) or (OUT,K,stride=S,pad=P), e.g. conv(32,3)
        seq:1x28x28:conv                 | spec 'seq:1x28x28:conv': layer 0 'conv': conv needs (OUT,K) or (OUT,K,stride=S,pad=P), e.g. conv(32,3)
        seq:1x28x28:conv(32,3,padding=1) | spec 'seq:1x28x28:conv(32,3,padding=1)': layer 0 'conv(32,3,padding=1)': unknown argument 'padding='; conv needs
        seq:1x28x28:conv(32,3,stride=0)  | spec 'seq:1x28x28:conv(32,3,stride=0)': layer 0 'conv(32,3,stride=0)': stride must be a positive integer, got '0'
        seq:1x28x28:conv(32,3,pad=-1)    | layer 0 'conv(32,3,pad=-1)': pad must be >= 0, got '-1'
        seq:1x8x8:conv(2,3,stride=2,stride=2) | layer 0 'conv(2,3,stride=2,stride=2)': 'stride' given twice
        seq:1x8x8:conv(2,stride=2,3)     | layer 0 'conv(2,stride=2,3)': positional argument '3' after a keyword argument
        seq:1x8x8:conv(2,3,)             | layer 0 'conv(2,3,)': empty argument
        seq:1x8x8:conv(2.5,3)            | layer 0 'conv(2.5,3)': OUT is not an integer: '2.5'; expected conv needs
        seq:1x8x8:maxpool()              | layer 0 'maxpool()': maxpool needs (K) or (K,stride=S), e.g. maxpool(2)
        seq:1x8x8:maxpool(2,pad=1)       | layer 0 'maxpool(2,pad=1)': unknown argument 'pad='; maxpool needs (K) or (K,stride=S)
        seq:1x8x8:avgpool(a)             | layer 0 'avgpool(a)': K is not an integer: 'a'; expected avgpool needs (K) or (K,stride=S), e.g. avgpool(2)
        seq:1x8x8:flatten,linear(10,20)  | layer 1 'linear(10,20)': linear needs (OUT), e.g. linear(10)
        seq:1x8x8:flatten,linear         | layer 1 'linear': linear needs (OUT), e.g. linear(10)
        seq:1x8x8:relu(),flatten         | layer 0 'relu()': relu takes no arguments; write relu
        seq:1x8x8:flatten(1),linear(2)   | layer 0 'flatten(1)': flatten takes no arguments; write flatten
        seq:1x8x8:flatten,dense(10)      | layer 1 'dense(10)': unknown layer 'dense'; expected one of conv(OUT,K), conv(OUT,K,stride=S,pad=P), relu, tanh, sigmoid, softplus, maxpool(K), maxpool(K,stride=S), avgpool(K), flatten, linear(OUT), batchnorm
        seq:1x8x8:Conv(2,3)              | layer 0 'Conv(2,3)': unknown layer 'Conv' (layer names are lower case: conv)
        seq:1x8x8:flatten,,linear(10)    | layer 1 is empty (two commas, or a comma at the start or end)
        seq:1x8x8:flatten,linear(10      | '(' without ')' in layer 1 'linear(10'
        seq:1x8x8:flatten,linear(10))    | ')' without '(' in layer 1 'linear(10))'
        seq:1x8x8:flatten,linear((10))   | nested '(' in layer 1 'linear((10))'
        seq:1x8x8:flatten,linear(10)x    | layer 1 'linear(10)x': unexpected text after ')'
        seq:1x28x28:linear(10)           | spec 'seq:1x28x28:linear(10)': layer 0 'linear(10)': linear needs a flat input [N, F], got [N, 1, 28, 28]; put flatten before it
        seq:1x28x28:flatten,conv(8,3)    | layer 1 'conv(8,3)': conv needs an image input [N, C, H, W], got [N, 784] (after a flatten or linear layer)
        seq:1x28x28:flatten,maxpool(2)   | layer 1 'maxpool(2)': maxpool needs an image input [N, C, H, W], got [N, 784]
        seq:1x28x28:flatten,avgpool(2)   | layer 1 'avgpool(2)': avgpool needs an image input [N, C, H, W], got [N, 784]
        seq:1x4x4:conv(8,5),flatten,linear(10) | layer 0 'conv(8,5)': Conv2d(1, 8, kernel_size=5, stride=1, padding=0, bias=true): input [1, 1, 4, 4] is smaller than the kernel 5x5 (with padding 0)
        seq:1x4x4:maxpool(8),flatten,linear(10) | layer 0 'maxpool(8)': MaxPool2d(kernel_size=8, stride=8, padding=0): input [1, 1, 4, 4] is smaller than the 8x8 window
        seq:1x28x28:conv(8,3)            | spec 'seq:1x28x28:conv(8,3)': the last layer gives [N, 8, 26, 26]; a classifier must end in [N, classes], e.g. with flatten,linear(10)
        """)
    void badSpecsGiveOneLineNamingTheProblem(String spec, String message) {
        assertThatThrownBy(() -> ModelSpec.parse(spec))
                .isInstanceOf(SpecException.class)
                .hasMessageContaining(message.strip())
                .hasMessageStartingWith("spec '" + spec + "': ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void theBriefsExampleMessage() {
        assertThatThrownBy(() -> ModelSpec.parse("seq:1x28x28:conv(32)")).hasMessage(
                "spec 'seq:1x28x28:conv(32)': layer 0 'conv(32)': conv needs (OUT,K) or (OUT,K,stride=S,pad=P), "
                        + "e.g. conv(32,3)");
        assertThatThrownBy(() -> ModelSpec.parse(null)).isInstanceOf(SpecException.class);
    }

    @Test
    void equalSpecsHaveEqualHashes() {
        List<ModelSpec> a = new ArrayList<>(List.of(ModelSpec.parse(CNN), ModelSpec.parse(CNN.replace(",", ", "))));
        assertThat(a.get(0)).isEqualTo(a.get(1)).hasSameHashCodeAs(a.get(1));
    }

    // ------------------------------------------------------------------ sizes (issue 12, defect 9)

    @Test
    void modelsLargerThanMemoryAreRefusedWithTheEstimate() {
        // 784 x 10^8 + 10^8 weights and biases, then 10^8 x 10 + 10
        assertThatThrownBy(() -> ModelSpec.parse("mlp:784-100000000-10", 6_000_000_000L))
                .isInstanceOf(SpecException.class)
                .hasMessage("spec 'mlp:784-100000000-10': 79,500,000,010 parameters (318 GB in float32); this JVM "
                        + "can use 6.0 GB (-Xmx in FLATMINIMA_JAVA_OPTS): choose a smaller model or give it more memory");
        // 784 * (2^31 - 1) + ...: overflows an int, not a long
        assertThatThrownBy(() -> ModelSpec.parse("mlp:784-2147483647-10", 6_000_000_000L))
                .hasMessageContaining("1,707,249,499,375 parameters (6.8 TB in float32); this JVM can use 6.0 GB");
        // with memory to spare, the engine's int-indexed flat vector is the limit
        assertThatThrownBy(() -> ModelSpec.parse("mlp:784-3000000-10", 100_000_000_000_000L))
                .hasMessageContaining("2,385,000,010 parameters (9.5 GB in float32); the engine's flat parameter "
                        + "vector holds at most 2,147,483,647");
        // the default budget is this JVM's: the specs fail with a SpecException, never an overflow
        for (String spec : new String[] {"mlp:784-100000000-10", "mlp:784-2147483647-10",
            "seq:1x28x28:conv(100000000,3),relu,flatten,linear(10)"}) {
            assertThatThrownBy(() -> ModelSpec.parse(spec)).isInstanceOf(SpecException.class);
        }
        assertThat(ModelSpec.parse("mlp:784-1000-10", 100_000_000L).network().parameterCount())
                .isEqualTo(784 * 1000 + 1000 + 1000 * 10 + 10);
        assertThatThrownBy(() -> ModelSpec.parse("mlp:784-1000-10", 1_000_000L))
                .hasMessageContaining("795,010 parameters (3.2 MB in float32); this JVM can use 1.0 MB");
    }

    @Test
    void aLayerWhoseOutputForOneSampleCannotFitIsRefused() {
        // conv(10^8, 3) on 28 x 28: 10^8 x 26 x 26 values per sample
        assertThatThrownBy(() -> ModelSpec.parse("seq:1x28x28:conv(100000000,3),relu,flatten,linear(10)",
                6_000_000_000L)).isInstanceOf(SpecException.class)
                .hasMessageEndingWith("layer 0 'conv(100000000,3)' outputs 67,600,000,000 values per sample (270 GB in "
                        + "float32); this JVM can use 6.0 GB (-Xmx in FLATMINIMA_JAVA_OPTS): choose a smaller layer");
        // with memory to spare, flatten cannot make a dimension over 2^31 - 1
        assertThatThrownBy(() -> ModelSpec.parse("seq:1x28x28:conv(100000000,3),relu,flatten,linear(10)",
                Long.MAX_VALUE)).hasMessageEndingWith("layer 2 'flatten': gives 67,600,000,000 features per sample, "
                        + "more than one dimension holds (2,147,483,647)");
    }
}
