package dev.tiller.autograd;

import dev.tiller.tensor.CsrMatrix;
import dev.tiller.tensor.Tensor;

/** Sparse-dense products (graph convolution). */
final class SparseOps {
    private SparseOps() {}

    /** out = A @ x for a constant sparse A (N, M) and x (M, C). dX = A^T @ dOut. */
    static final class SpMM implements Op {
        private final CsrMatrix a;
        private CsrMatrix aT;

        SpMM(CsrMatrix a) {
            this.a = a;
        }

        @Override
        public String name() {
            return "spmm";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return a.matmul(in[0]);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            if (aT == null) {
                aT = a.transpose();
            }
            return new Tensor[] {aT.matmul(dOut)};
        }
    }
}
