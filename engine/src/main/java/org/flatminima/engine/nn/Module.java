package org.flatminima.engine.nn;

import java.util.List;
import java.util.SplittableRandom;
import org.flatminima.engine.autodiff.Var;

/**
 * A layer or a container of layers, as a <em>pure function</em> of its input and of parameters it does not own:
 * a module only declares the parameters it needs (local names and shapes, e.g. {@code weight [out, in]}), and
 * {@link #forward} reads them from a {@link ParamView} over one flat parameter vector. A direction in
 * parameter space is therefore one rank-1 tensor, and the Hessian of a loss is a linear operator on R^P.
 *
 * <p>Names, shapes and default initialisation follow PyTorch's {@code torch.nn} modules of the same name, so a
 * PyTorch {@code state_dict} maps onto the flat vector name by name (see {@link ParameterLayout}). Shapes
 * include the batch axis first, as in PyTorch.
 */
public sealed interface Module permits Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softplus, Flatten, Sequential, Conv2d, MaxPool2d, AvgPool2d,
        BatchNorm, Dropout, ZeroPad2d {

    /** A parameter a module needs: its local name (e.g. {@code "weight"}) and shape. */
    record ParamSpec(String name, int[] shape) {
        public ParamSpec {
            shape = shape.clone();
        }

        /** Number of elements. */
        public int size() {
            int n = 1;
            for (int d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public String toString() {
            return name + " " + java.util.Arrays.toString(shape);
        }
    }

    /** The parameters this module itself declares, in PyTorch's registration order (empty for containers). */
    default List<ParamSpec> parameters() {
        return List.of();
    }

    /**
     * The buffers this module itself declares (state that is not a parameter and not in the flat vector, e.g.
     * batch normalisation's running statistics), in PyTorch's registration order.
     */
    default List<ParamSpec> buffers() {
        return List.of();
    }

    /** The initial value of buffer {@code name} (row-major), as PyTorch's. */
    default double[] initialBuffer(String name) {
        throw new IllegalArgumentException(this + " has no buffer '" + name + "'");
    }

    /** Sub-modules, named by their position (as {@code torch.nn.Sequential}); empty for a leaf layer. */
    default List<Module> children() {
        return List.of();
    }

    /**
     * The output shape for an input of shape {@code input} (batch axis first).
     *
     * @throws ShapeMismatchException if this module cannot take that shape; the message names the expected and
     *     the actual shape (and, from a {@link Sequential}, the layer index)
     */
    int[] outputShape(int[] input);

    /**
     * Applies the module to {@code input}, reading its parameters from {@code params} (a view scoped to this
     * module: {@code params.get("weight")}). Differentiable in {@code input} and in the flat vector behind
     * {@code params}. Checks the input shape first ({@link #outputShape}).
     */
    Var forward(Var input, ParamView params);

    /**
     * Initial values of the parameter {@code name} (row-major, {@link ParamSpec#size()} of them), drawn from
     * {@code rnd} with PyTorch's default initialisation for this module; see {@link Init} for the formulas.
     */
    default double[] initialValues(String name, SplittableRandom rnd) {
        throw new IllegalArgumentException(this + " has no parameter '" + name + "'");
    }
}
