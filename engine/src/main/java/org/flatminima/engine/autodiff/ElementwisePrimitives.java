package org.flatminima.engine.autodiff;

import static org.flatminima.engine.autodiff.Rules.*;

import org.flatminima.engine.Tensor;
import org.flatminima.engine.TensorOps;
import org.flatminima.kernels.UnaryOp;

/**
 * The elementwise primitives: binary arithmetic with NumPy broadcasting ({@code add, sub, mul, div}) and
 * the one-input functions, most of whose rules follow from {@code f'(x)} ({@link Primitive.Elementwise}).
 *
 * <p>A record declared in this file that implements this interface is a registered primitive: the
 * interface is sealed without a {@code permits} clause, so Java permits exactly the records of this file, and
 * {@link Primitive} permits the files. Notation in the comments: {@code x, a, b} inputs, {@code y} output,
 * {@code dx} a tangent, {@code g} the output cotangent.
 */
public sealed interface ElementwisePrimitives extends Primitive {
    // ------------------------------------------------------------------ elementwise binary (broadcasting)

    /** {@code y = a + b}. dy = da + db; ga = g, gb = g. */
    record Add() implements ElementwisePrimitives, Primitive.Broadcasting {
        public String name() {
            return "add";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.add(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1] : t[1] == null ? t[0] : t[0].add(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g);
        }
    }

    /** {@code y = a - b}. dy = da - db; ga = g, gb = -g. */
    record Sub() implements ElementwisePrimitives, Primitive.Broadcasting {
        public String name() {
            return "sub";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.sub(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? t[1].neg() : t[1] == null ? t[0] : t[0].sub(t[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g, g.neg());
        }
    }

    /** {@code y = a * b}. Bilinear: dy = da b + a db; ga = g b, gb = a g. */
    record Mul() implements ElementwisePrimitives, Primitive.Bilinear, Primitive.Broadcasting {
        public String name() {
            return "mul";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.mul(in[0], in[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.mul(x[1]), x[0].mul(g));
        }
    }

    /** {@code y = a / b}. dy = (da - y db) / b; ga = g / b, gb = -g y / b. */
    record Div() implements ElementwisePrimitives, Primitive.Broadcasting {
        public String name() {
            return "div";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.div(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            Var num = t[1] == null ? t[0] : t[0] == null ? y.mul(t[1]).neg() : t[0].sub(y.mul(t[1]));
            return num.div(x[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            Var ga = g.div(x[1]);
            return cts(ga, ga.mul(y).neg());
        }
    }

    // ------------------------------------------------------------------ elementwise unary

    /** {@code y = -x}. Linear; gx = -g. */
    record Neg() implements ElementwisePrimitives, Primitive.LinearUnary {
        public String name() {
            return "neg";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.NEG, in[0]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.neg());
        }
    }

    /** {@code y = c x} for a constant c. Linear; gx = c g. */
    record Scale(double c) implements ElementwisePrimitives, Primitive.LinearUnary {
        public String name() {
            return "scale";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.scale(in[0], c);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(g.scale(c));
        }
    }

    /** {@code y = x^2}, f' = 2x. */
    record Square() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "square";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQUARE, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.scale(2);
        }
    }

    /** {@code y = sqrt x}, f' = 1 / (2y). */
    record Sqrt() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "sqrt";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SQRT, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.pow(-1).scale(0.5);
        }
    }

    /** {@code y = e^x}, f' = y. */
    record Exp() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "exp";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.EXP, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y;
        }
    }

    /** {@code y = ln x}, f' = 1/x. */
    record Log() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "log";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LOG, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(-1);
        }
    }

    /** {@code y = x^p} for a constant p, f' = p x^(p-1). */
    record Pow(double p) implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "pow";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.POW, in[0], p);
        }

        public Var derivative(Var x, Var y) {
            return x.pow(p - 1).scale(p);
        }
    }

    /**
     * {@code y = max(x, 0)}, f' = [x > 0] (a constant: its own derivative is zero almost everywhere). Both rules
     * are one {@link ReluGate} of the incoming tangent or cotangent by the output: dy = gate(dx, y), gx = gate(g, y),
     * since y > 0 exactly where x > 0 (zeros of either sign, NaN and negative infinity shut both;
     * {@code ReluRulesTest}). By y, not x: in a network's backward pass y was read last by the next layer's weight
     * gradient and is still in cache, while x (the layer's pre-activation) has not been read since the forward.
     * Not {@link Primitive.Elementwise}, whose rules would first build the mask [x > 0] as a tensor of x's size and
     * then multiply by it: the gate reads y directly, so a forward-over-reverse pass allocates no masks.
     */
    record Relu() implements ElementwisePrimitives {
        public String name() {
            return "relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.RELU, in[0]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return Trace.bind(new ReluGate(), t[0], y);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(new ReluGate(), g, y));
        }
    }

    /**
     * {@code y = b > 0 ? a : 0}: the gradient or tangent {@code a} where the ReLU's input {@code b} is positive
     * (ReLU's rules). Linear in a; in b piecewise constant, so its derivative in b is zero almost everywhere
     * (as the ReLU's second derivative): dy = gate(da, b); ga = gate(g, b), gb = 0. Where the gate is shut the
     * output is 0 even for an infinite or NaN a (as PyTorch's threshold_backward; {@code a * [b > 0]} would give
     * NaN there). Broadcasting, so a tangent with leading direction axes gates against the one x.
     */
    record ReluGate() implements ElementwisePrimitives, Primitive.Broadcasting {
        public String name() {
            return "relu_gate";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.gate(in[0], in[1]);
        }

        @Override
        public Var jvp(Var[] x, Var[] t, Var y) {
            return t[0] == null ? null : Trace.bind(this, t[0], x[1]);
        }

        @Override
        public Var[] vjp(Var g, Var[] x, Var y) {
            return cts(Trace.bind(this, g, x[1]), null);
        }
    }

    /** {@code y = x > 0 ? x : s x}, f' = x > 0 ? 1 : s (a constant). */
    record LeakyRelu(double slope) implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "leaky_relu";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.LEAKY_RELU, in[0], slope);
        }

        public Var derivative(Var x, Var y) {
            return Var.of(TensorOps.unary(UnaryOp.LEAKY_STEP, x.value(), slope));
        }
    }

    /** {@code y = tanh x}, f' = 1 - y^2. */
    record Tanh() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "tanh";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.TANH, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.square().neg().add(1);
        }
    }

    /** {@code y = 1 / (1 + e^-x)}, f' = y (1 - y). */
    record Sigmoid() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "sigmoid";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SIGMOID, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return y.mul(y.neg().add(1));
        }
    }

    /** {@code y = ln(1 + e^x)}, f' = sigmoid(x). */
    record Softplus() implements ElementwisePrimitives, Primitive.Elementwise {
        public String name() {
            return "softplus";
        }

        public Tensor forward(Tensor... in) {
            return TensorOps.unary(UnaryOp.SOFTPLUS, in[0]);
        }

        public Var derivative(Var x, Var y) {
            return x.sigmoid();
        }
    }
}
