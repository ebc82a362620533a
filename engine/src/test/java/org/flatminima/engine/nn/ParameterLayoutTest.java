package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.flatminima.engine.Tensor;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** Names, shapes and offsets against PyTorch's state_dict conventions (hard-coded), and the map round trip. */
class ParameterLayoutTest {

    @Test
    void mlp784_512_512_10MatchesPyTorchStateDict() {
        // torch.nn.Sequential(Linear(784,512), ReLU(), Linear(512,512), ReLU(), Linear(512,10)).state_dict():
        // 0.weight [512, 784], 0.bias [512], 2.weight [512, 512], 2.bias [512], 4.weight [10, 512], 4.bias [10]
        ParameterLayout l = ParameterLayout.of(Sequential.mlp(784, 512, 512, 10));
        List<ParameterLayout.Entry> e = l.entries();
        assertThat(l.names()).containsExactly("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias");
        assertThat(e.get(0).shape()).containsExactly(512, 784);
        assertThat(e.get(1).shape()).containsExactly(512);
        assertThat(e.get(2).shape()).containsExactly(512, 512);
        assertThat(e.get(3).shape()).containsExactly(512);
        assertThat(e.get(4).shape()).containsExactly(10, 512);
        assertThat(e.get(5).shape()).containsExactly(10);
        assertThat(e.stream().mapToInt(ParameterLayout.Entry::offset))
                .containsExactly(0, 401_408, 401_920, 664_064, 664_576, 669_696);
        assertThat(l.size()).isEqualTo(669_706);

        assertThat(l.layers()).extracting(ParameterLayout.LayerRange::name).containsExactly("0", "2", "4");
        assertThat(l.layers()).extracting(ParameterLayout.LayerRange::offset).containsExactly(0, 401_920, 664_576);
        assertThat(l.layers()).extracting(ParameterLayout.LayerRange::end).containsExactly(401_920, 664_576, 669_706);
    }

    @Test
    void affineIsOneLinearAtIndexZero() {
        Network net = new Network(Sequential.mlp(784, 10), 784);
        assertThat(net.layout().names()).containsExactly("0.weight", "0.bias");
        assertThat(net.parameterCount()).isEqualTo(7850);
        assertThat(net.classes()).isEqualTo(10);
    }

    @Test
    void activationsAndFlattenTakeAnIndexAndNestedSequentialsPrefixTwice() {
        Sequential s = Sequential.of(new Flatten(), new Linear(6, 4, false), new Tanh(),
                Sequential.of(new LeakyReLU(), new Linear(4, 3)), new Sigmoid());
        ParameterLayout l = ParameterLayout.of(s);
        assertThat(l.names()).containsExactly("1.weight", "3.1.weight", "3.1.bias");
        assertThat(l.entries()).extracting(ParameterLayout.Entry::offset).containsExactly(0, 24, 36);
        assertThat(l.layers()).extracting(ParameterLayout.LayerRange::name).containsExactly("1", "3.1");
        // a bare Linear has PyTorch's unprefixed names
        assertThat(ParameterLayout.of(new Linear(2, 3)).names()).containsExactly("weight", "bias");
    }

    @Test
    void toMapAndFromMapRoundTrip() {
        ParameterLayout l = ParameterLayout.of(Sequential.mlp(3, 4, 2));
        double[] v = new double[l.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = i + 0.5;
        }
        Tensor flat = Tensor.of(DType.F64, v, l.size());
        Map<String, Tensor> m = l.toMap(flat);
        assertThat(m.keySet()).containsExactly("0.weight", "0.bias", "2.weight", "2.bias");
        assertThat(m.get("0.weight").shape()).containsExactly(4, 3);
        assertThat(m.get("0.weight").get(1, 2)).isEqualTo(5.5); // row-major: offset 1*3+2
        assertThat(m.get("2.weight").get(1, 0)).isEqualTo(16 + 4 + 0.5);
        // reversed insertion order must not matter
        Map<String, Tensor> rev = new LinkedHashMap<>();
        List<String> names = l.names();
        for (int i = names.size() - 1; i >= 0; i--) {
            rev.put(names.get(i), m.get(names.get(i)).to(DType.F32));
        }
        Tensor back = l.fromMap(rev);
        assertThat(back.dtype()).isEqualTo(DType.F32);
        assertThat(back.toDoubleArray()).containsExactly(v);
        assertThat(l.fromMap(rev, DType.F64).toDoubleArray()).containsExactly(v);
    }

    @Test
    void fromMapNamesTheMissingUnexpectedOrMisshapenWeight() {
        ParameterLayout l = ParameterLayout.of(Sequential.mlp(3, 4, 2));
        Map<String, Tensor> m = new LinkedHashMap<>(l.toMap(Tensor.zeros(DType.F32, l.size())));
        m.remove("2.weight");
        assertThatThrownBy(() -> l.fromMap(m)).hasMessage("missing weight '2.weight': expected shape [2, 4]");
        m.put("2.weight", Tensor.zeros(DType.F32, 4, 2));
        assertThatThrownBy(() -> l.fromMap(m))
                .hasMessage("weight '2.weight' has shape [4, 2], expected [2, 4]");
        m.put("2.weight", Tensor.zeros(DType.F32, 2, 4));
        m.put("1.weight", Tensor.zeros(DType.F32, 2, 4));
        assertThatThrownBy(() -> l.fromMap(m)).hasMessageStartingWith("unexpected weight '1.weight'")
                .hasMessageContaining("0.weight, 0.bias, 2.weight, 2.bias");
    }

    @Test
    void aFlatVectorOfTheWrongLengthIsAnError() {
        Network net = new Network(Sequential.mlp(3, 4, 2), 3);
        assertThatThrownBy(() -> net.logits(org.flatminima.engine.autodiff.Var.of(Tensor.zeros(DType.F64, 25)),
                Tensor.zeros(DType.F64, 1, 3)))
                .hasMessageStartingWith("the flat parameter vector has shape [25], expected [26]");
    }
}
