package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;

/** Matrix products. */
final class LinalgOps {
    private LinalgOps() {}

    /**
     * out = a @ b for a: (..., M, K), b: (..., K, N) with broadcast batch dims (1-D operands are reshaped by
     * {@link F#matmul} before they get here). dA = dOut @ b^T, dB = a^T @ dOut; transposes are views, and the
     * engine sums gradients over broadcast batch dims (a 2-D b gets its sum inside one product instead).
     */
    static final class MatMul implements Op {
        @Override
        public String name() {
            return "matmul";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0], in[1]);
            return Linalg.matmul(in[0], in[1]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor a = saved.tensor(0);
            Tensor b = saved.tensor(1);
            Tensor dA = needsGrad[0] ? Linalg.matmul(dOut, b.t()) : null;   // (..., M, N) @ (..., N, K)
            Tensor dB = needsGrad[1] ? gradB(a, b, dOut) : null;             // (..., K, M) @ (..., M, N)
            return new Tensor[] {dA, dB};
        }

        /**
         * dB = a^T @ dOut. For a 2-D b and contiguous a and dOut, one product over all leading rows of a (seen as
         * (rows, K)) instead of a batch of products the engine then sums; and when b is a transposed view (F.linear's
         * w.t()), the product is formed as (dOut^T @ a)^T, so the gradient is a view of a tensor in w's own layout
         * and reaches w by a dense add instead of a strided transposing copy.
         */
        private static Tensor gradB(Tensor a, Tensor b, Tensor dOut) {
            if (b.rank() != 2 || !a.isContiguous() || !dOut.isContiguous()) {
                return Linalg.matmul(a.t(), dOut);
            }
            Tensor a2 = a.reshape(-1, a.dim(a.rank() - 1));
            Tensor d2 = dOut.reshape(-1, dOut.dim(dOut.rank() - 1));
            if (!b.isContiguous() && b.t().isContiguous()) {
                return Linalg.matmul(d2.t(), a2).t();
            }
            return Linalg.matmul(a2.t(), d2);
        }
    }
}
