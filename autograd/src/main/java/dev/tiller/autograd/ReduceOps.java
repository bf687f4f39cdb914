package dev.tiller.autograd;

import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Binary;
import dev.tiller.tensor.op.Reduce;
import dev.tiller.tensor.op.Unary;

import java.util.Arrays;
import java.util.Locale;

/** Reductions over a set of dims (empty = all). Gradients broadcast dOut back over the reduced dims. */
final class ReduceOps {
    private ReduceOps() {}

    enum Kind { SUM, MEAN, AMAX, LOGSUMEXP }

    static final class Reduction implements Op {
        private final Kind kind;
        private final int[] dims;
        private final boolean keepDim;

        Reduction(Kind kind, int[] dims, boolean keepDim) {
            this.kind = kind;
            this.dims = dims.clone();
            this.keepDim = keepDim;
        }

        @Override
        public String name() {
            return kind.name().toLowerCase(Locale.ROOT);
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            Tensor x = in[0];
            Tensor out = switch (kind) {
                case SUM -> Reduce.sum(x, dims, keepDim);
                case MEAN -> Reduce.mean(x, dims, keepDim);
                case AMAX -> Reduce.amax(x, dims, keepDim);
                case LOGSUMEXP -> Reduce.logsumexp(x, dims, keepDim);
            };
            saved.keep(x, out);
            return out;
        }

        /** dOut (reduced shape) viewed with the reduced dims as size 1, so it broadcasts against x. */
        private Tensor keepDims(Tensor t, int rank) {
            if (keepDim) {
                return t;
            }
            boolean[] reduced = new boolean[rank];
            if (dims.length == 0) {
                Arrays.fill(reduced, true);
            }
            for (int d : dims) {
                reduced[Shape.axis(name(), d, rank)] = true;
            }
            int[] s = new int[rank];
            int[] ts = t.shape();
            for (int i = 0, j = 0; i < rank; i++) {
                s[i] = reduced[i] ? 1 : ts[j++];
            }
            return t.reshape(s);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor x = saved.tensor(0);
            int rank = x.rank();
            Tensor g = keepDims(dOut, rank);
            Tensor d = switch (kind) {
                case SUM -> g.expand(x.shape());
                case MEAN -> {
                    long count = x.numel() / Math.max(1, saved.tensor(1).numel());
                    yield Unary.mulScalar(g, 1f / count).expand(x.shape());
                }
                case AMAX -> {
                    // Ties share the gradient equally: mask = (x == max) / count(x == max).
                    Tensor max = keepDims(saved.tensor(1), rank);
                    Tensor mask = Binary.eq(x, max);
                    Tensor count = Reduce.sum(mask, dims, true);
                    yield Binary.mul(Binary.div(mask, count), g);
                }
                case LOGSUMEXP -> {
                    Tensor lse = keepDims(saved.tensor(1), rank);
                    yield Binary.mul(Unary.exp(Binary.sub(x, lse)), g);          // d lse / dx = softmax(x)
                }
            };
            return new Tensor[] {d};
        }
    }
}
