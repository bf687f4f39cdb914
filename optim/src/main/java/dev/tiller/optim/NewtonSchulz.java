package dev.tiller.optim;

import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Gemm;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The quintic Newton-Schulz iteration Muon uses to replace a matrix G = U S V^T by roughly U V^T (Keller Jordan's
 * Muon; PyTorch's _zeropower_via_newtonschulz), in float32 with the products on {@link Gemm}:
 * <pre>
 *   X = G (or G^T when G has more rows than columns, so X X^T is the smaller Gram matrix)
 *   X = X / max(||X||_F, eps)                 (so every singular value is <= 1)
 *   repeat steps times:  A = X X^T;  B = b A + c A A;  X = a X + B X
 * </pre>
 * Each iteration maps every singular value s of X to p(s) = a s + b s^3 + c s^5 and keeps the singular vectors,
 * so the result's singular values are p applied steps times to those of G / ||G||_F. PyTorch's coefficients
 * (3.4445, -4.775, 2.0315) make p steep at 0 and leave the values near, not at, 1 (about 0.7 to 1.2).
 * One instance holds the scratch for one matrix shape; it is not thread-safe.
 */
public final class NewtonSchulz {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final int rows;
    private final int cols;
    private final int r;          // min(rows, cols): X is (r, k)
    private final int k;          // max(rows, cols)
    private final Tensor x;       // (r, k)
    private final Tensor y;       // (r, k) B X
    private final Tensor gram;    // (r, r) A = X X^T
    private final Tensor poly;    // (r, r) B = b A + c A A

    /** Scratch for orthogonalising (rows, cols) matrices. */
    public NewtonSchulz(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("NewtonSchulz: needs a matrix with at least one row and column, got ("
                    + rows + ", " + cols + ")");
        }
        this.rows = rows;
        this.cols = cols;
        this.r = Math.min(rows, cols);
        this.k = Math.max(rows, cols);
        this.x = Tensor.allocate(Allocators.auto(), DType.F32, r, k);
        this.y = Tensor.allocate(Allocators.auto(), DType.F32, r, k);
        this.gram = Tensor.allocate(Allocators.auto(), DType.F32, r, r);
        this.poly = Tensor.allocate(Allocators.auto(), DType.F32, r, r);
    }

    /**
     * Writes NS(G) to dst. src and dst hold row-major (rows, cols) float32 matrices starting at the given element
     * offsets; they may be the same memory.
     */
    public void orthogonalize(MemorySegment src, long srcOff, MemorySegment dst, long dstOff,
                              float a, float b, float c, int steps, float eps) {
        boolean tall = rows > cols;
        MemorySegment xs = x.segment();
        double sq = 0;
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = src.getAtIndex(F32, srcOff + (long) i * cols + j);
                sq += (double) v * v;
                xs.setAtIndex(F32, tall ? (long) j * k + i : (long) i * k + j, v);
            }
        }
        float norm = Math.max((float) Math.sqrt(sq), eps);
        long n = (long) r * k;
        for (long i = 0; i < n; i++) {
            xs.setAtIndex(F32, i, xs.getAtIndex(F32, i) / norm);
        }
        MemorySegment ys = y.segment();
        MemorySegment as = gram.segment();
        MemorySegment bs = poly.segment();
        for (int s = 0; s < steps; s++) {
            // A = X X^T
            Gemm.sgemm(false, true, r, r, k, 1f, xs, 0, k, xs, 0, k, 0f, as, 0, r);
            // B = b A + c (A A)
            Gemm.sgemm(false, false, r, r, r, c, as, 0, r, as, 0, r, 0f, bs, 0, r);
            for (long i = 0; i < (long) r * r; i++) {
                bs.setAtIndex(F32, i, b * as.getAtIndex(F32, i) + bs.getAtIndex(F32, i));
            }
            // X = a X + B X
            Gemm.sgemm(false, false, r, k, r, 1f, bs, 0, r, xs, 0, k, 0f, ys, 0, k);
            for (long i = 0; i < n; i++) {
                xs.setAtIndex(F32, i, a * xs.getAtIndex(F32, i) + ys.getAtIndex(F32, i));
            }
        }
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                float v = xs.getAtIndex(F32, tall ? (long) j * k + i : (long) i * k + j);
                dst.setAtIndex(F32, dstOff + (long) i * cols + j, v);
            }
        }
    }
}
