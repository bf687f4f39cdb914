package dev.tiller.autograd;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Binary;
import dev.tiller.tensor.op.Unary;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Locale;

/**
 * Element-wise ops. Binary ops broadcast (NumPy rules); their raw gradients have the broadcast shape and the engine
 * reduces them to each operand's shape. Kink conventions: relu'(0) = 0; clamp passes the gradient at the bounds;
 * maximum splits the gradient equally at ties.
 */
final class ElementwiseOps {
    private ElementwiseOps() {}

    /** out = a + b. dA = dOut, dB = dOut. */
    static final class Add implements Op {
        @Override
        public String name() {
            return "add";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return Binary.add(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {dOut, dOut};
        }
    }

    /** out = a - b. dA = dOut, dB = -dOut. */
    static final class Sub implements Op {
        @Override
        public String name() {
            return "sub";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return Binary.sub(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {dOut, needsGrad[1] ? Unary.neg(dOut) : null};
        }
    }

    /** out = a * b. dA = dOut * b, dB = dOut * a. */
    static final class Mul implements Op {
        @Override
        public String name() {
            return "mul";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0], in[1]);
            return Binary.mul(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {
                needsGrad[0] ? Binary.mul(dOut, saved.tensor(1)) : null,
                needsGrad[1] ? Binary.mul(dOut, saved.tensor(0)) : null,
            };
        }
    }

    /** out = a / b. dA = dOut / b, dB = -dOut * out / b. */
    static final class Div implements Op {
        @Override
        public String name() {
            return "div";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Tensor out = Binary.div(in[0], in[1]);
            saved.keep(in[1], out);
            return out;
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor b = saved.tensor(0);
            Tensor dA = Binary.div(dOut, b);
            Tensor dB = needsGrad[1] ? Unary.neg(Binary.mul(dA, saved.tensor(1))) : null;   // -dOut * (a/b) / b
            return new Tensor[] {needsGrad[0] ? dA : null, dB};
        }
    }

    /** out = max(a, b); at ties each side gets half the gradient. */
    static final class Maximum implements Op {
        @Override
        public String name() {
            return "maximum";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0], in[1]);
            return Binary.maximum(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor a = saved.tensor(0);
            Tensor b = saved.tensor(1);
            // weight of a: 1 where a > b, 1/2 where a == b, 0 where a < b; b gets 1 - that.
            Tensor wa = Binary.add(Binary.gt(a, b), Unary.mulScalar(Binary.eq(a, b), 0.5f));
            Tensor dA = needsGrad[0] ? Binary.mul(dOut, wa) : null;
            Tensor dB = needsGrad[1] ? Binary.mul(dOut, Unary.addScalar(Unary.neg(wa), 1f)) : null;
            return new Tensor[] {dA, dB};
        }
    }

    /** out = cond ? a : b (cond nonzero = true). dA = cond ? dOut : 0, dB = cond ? 0 : dOut. */
    static final class Where implements Op {
        private final Tensor cond;

        Where(Tensor cond) {
            this.cond = cond.dtype() == DType.F32 ? cond : cond.to(DType.F32);
        }

        @Override
        public String name() {
            return "where";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return Binary.where(cond, in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor zero = Tensor.zeros();
            return new Tensor[] {
                needsGrad[0] ? Binary.where(cond, dOut, zero) : null,
                needsGrad[1] ? Binary.where(cond, zero, dOut) : null,
            };
        }
    }

    /** out = x * s. dX = dOut * s. */
    static final class Scale implements Op {
        private final float s;

        Scale(float s) {
            this.s = s;
        }

        @Override
        public String name() {
            return "scale";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return Unary.mulScalar(in[0], s);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Unary.mulScalar(dOut, s)};
        }
    }

    /** out = x + s. dX = dOut. */
    static final class AddScalar implements Op {
        private final float s;

        AddScalar(float s) {
            this.s = s;
        }

        @Override
        public String name() {
            return "add_scalar";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return Unary.addScalar(in[0], s);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {dOut};
        }
    }

    /** out = x^p. dX = dOut * p * x^(p-1). */
    static final class PowScalar implements Op {
        private final float p;

        PowScalar(float p) {
            this.p = p;
        }

        @Override
        public String name() {
            return "pow";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0]);
            return Unary.powScalar(in[0], p);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor d = p == 0f ? Unary.mulScalar(dOut, 0f)
                    : Binary.mul(dOut, Unary.mulScalar(Unary.powScalar(saved.tensor(0), p - 1f), p));
            return new Tensor[] {d};
        }
    }

    /** The unary functions with their derivative rules. */
    enum Fn { NEG, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SILU, GELU, GELU_TANH, SOFTPLUS, LEAKY_RELU, CLAMP }

    /** out = fn(x); a and b carry fn's parameters (softplus beta/threshold, leaky slope, clamp lo/hi). */
    static final class Pointwise implements Op {
        private final Fn fn;
        private final float a;
        private final float b;

        Pointwise(Fn fn, float a, float b) {
            this.fn = fn;
            this.a = a;
            this.b = b;
        }

        Fn fn() {
            return fn;
        }

        @Override
        public String name() {
            return switch (fn) {
                case GELU, GELU_TANH -> "gelu";
                case LEAKY_RELU -> "leaky_relu";
                default -> fn.name().toLowerCase(Locale.ROOT);
            };
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Tensor x = in[0];
            if (fn == Fn.GELU) {
                // keeps 1 + erf(x / sqrt2) in place of y (which GELU's backward does not read): half the backward
                Unary.GeluKept r = Unary.geluKeep(x);
                saved.keep(x, r.k());
                return r.out();
            }
            Tensor y = switch (fn) {
                case NEG -> Unary.neg(x);
                case EXP -> Unary.exp(x);
                case LOG -> Unary.log(x);
                case SQRT -> Unary.sqrt(x);
                case TANH -> Unary.tanh(x);
                case SIGMOID -> Unary.sigmoid(x);
                case RELU -> Unary.relu(x);
                case SILU -> Unary.silu(x);
                case GELU -> throw new AssertionError("handled above");
                case GELU_TANH -> Unary.gelu(x, true);
                case SOFTPLUS -> Unary.softplus(x, a, b);
                case LEAKY_RELU -> Unary.leakyRelu(x, a);
                case CLAMP -> Unary.clamp(x, a, b);
            };
            saved.keep(x, y);
            return y;
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor x = saved.tensor(0);
            Tensor y = saved.tensor(1);
            Tensor d = switch (fn) {
                case NEG -> Unary.neg(dOut);
                case EXP -> Binary.mul(dOut, y);                                         // d exp = exp
                case LOG -> Binary.div(dOut, x);                                         // d log = 1/x
                case SQRT -> Binary.div(Unary.mulScalar(dOut, 0.5f), y);   // 1/(2 sqrt x)
                case TANH -> Unary.tanhBackward(y, dOut);
                case SIGMOID -> Unary.sigmoidBackward(y, dOut);
                case RELU -> Unary.reluBackward(x, dOut);
                case SILU -> Unary.siluBackward(x, dOut);
                case GELU -> Unary.geluBackwardKept(x, y, dOut);                           // y holds k here
                case GELU_TANH -> Unary.geluBackward(x, dOut, true);
                case SOFTPLUS -> Unary.softplusBackward(x, dOut, a, b);
                case LEAKY_RELU -> Unary.leakyReluBackward(x, dOut, a);
                case CLAMP -> Unary.clampBackward(x, dOut, a, b);
            };
            return new Tensor[] {d};
        }
    }

    /**
     * Inverted dropout: element i is kept when Philox.uniform(seed, stream, counter + i) >= p and scaled by
     * 1/(1-p). The mask is saved for backward: dX = dOut * mask / (1-p).
     */
    static final class Dropout implements Op {
        private final float p;
        private final long seed;
        private final long stream;
        private final long counter;

        Dropout(float p, long seed, long stream, long counter) {
            this.p = p;
            this.seed = seed;
            this.stream = stream;
            this.counter = counter;
        }

        @Override
        public String name() {
            return "dropout";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            int[] shape = in[0].shape();
            long n = in[0].numel();
            float keepScale = 1f / (1f - p);
            Tensor mask = Tensor.empty(DType.F32, shape);
            MemorySegment m = mask.segment();
            for (long i = 0; i < n; i++) {
                float u = Philox.uniform(seed, stream, counter + i);
                m.setAtIndex(ValueLayout.JAVA_FLOAT, i, u >= p ? keepScale : 0f);
            }
            saved.keep(mask);
            return Binary.mul(in[0], mask);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {Binary.mul(dOut, saved.tensor(0))};
        }
    }
}
