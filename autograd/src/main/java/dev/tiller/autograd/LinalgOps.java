package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.op.Linalg;

/** Matrix products. */
final class LinalgOps {
    private LinalgOps() {}

    /**
     * out = a @ b for a: (..., M, K), b: (..., K, N) with broadcast batch dims (1-D operands are reshaped by
     * {@link F#matmul} before they get here). dA = dOut @ b^T, dB = a^T @ dOut; transposes are views, and the
     * engine sums gradients over broadcast batch dims.
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
            Tensor dB = needsGrad[1] ? Linalg.matmul(a.t(), dOut) : null;   // (..., K, M) @ (..., M, N)
            return new Tensor[] {dA, dB};
        }
    }
}
