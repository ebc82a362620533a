package org.flatminima.engine.nn;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.autodiff.Var;
import org.flatminima.kernels.DType;
import org.junit.jupiter.api.Test;

/** A shape mismatch names the layer index (path), the layer, the expected and the actual shape. */
class ShapeErrorTest {

    @Test
    void aWrongArchitectureFailsWhenTheNetworkIsBuilt() {
        Sequential s = Sequential.of(new Linear(4, 5), new ReLU(), new Linear(6, 3));
        assertThatThrownBy(() -> new Network(s, 4))
                .isInstanceOf(ShapeMismatchException.class)
                .hasMessage("layer 2 Linear(in_features=6, out_features=3, bias=true): "
                        + "expected input shape [N, 6], got [1, 5]");
    }

    @Test
    void aWrongInputFailsInForwardWithTheLayerIndex() {
        Sequential s = Sequential.of(new Flatten(), new Linear(6, 5), new Tanh(), new Linear(5, 3));
        ParameterLayout l = ParameterLayout.of(s);
        Var theta = Var.of(Tensor.zeros(DType.F64, l.size()));
        assertThatThrownBy(() -> s.forward(Var.of(Tensor.zeros(DType.F64, 7, 2, 4)), l.root(theta)))
                .isInstanceOf(ShapeMismatchException.class)
                .hasMessage("layer 1 Linear(in_features=6, out_features=5, bias=true): "
                        + "expected input shape [N, 6], got [7, 8]");
    }

    @Test
    void nestedSequentialsGiveTheIndexPath() {
        Sequential s = Sequential.of(new Linear(4, 5), Sequential.of(new ReLU(), new Linear(4, 2)));
        assertThatThrownBy(() -> s.outputShape(new int[] {3, 4}))
                .hasMessage("layer 1.1 Linear(in_features=4, out_features=2, bias=true): "
                        + "expected input shape [N, 4], got [3, 5]");
    }

    @Test
    void networkInputOfTheWrongSampleShape() {
        Network net = new Network(Sequential.mlp(6, 3), 6);
        Var theta = Var.of(net.initParams(DType.F64, 1));
        assertThatThrownBy(() -> net.logits(theta, Tensor.zeros(DType.F64, 2, 7)))
                .isInstanceOf(ShapeMismatchException.class)
                .hasMessageContaining("expected input shape [N, 6], got [2, 7]");
        // [N, 2, 3] is flattened to [N, 6] for a rank-1 sample shape, as the mlp: spec says
        net.logits(theta, Tensor.zeros(DType.F64, 2, 2, 3));
        assertThatThrownBy(() -> net.loss(theta, Tensor.zeros(DType.F64, 2, 6), new int[] {0, 3}))
                .hasMessage("label 3 of point 1 is outside [0, 3)");
    }
}
