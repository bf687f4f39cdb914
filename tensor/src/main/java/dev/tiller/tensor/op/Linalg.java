package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.Gemm;

import java.util.Arrays;

/**
 * Matrix products with torch.matmul semantics on top of {@link Gemm}. Operands whose last two dims are row-major
 * or column-major (a transposed view such as {@code w.t()}) are passed to the kernel as they lie, with a transpose
 * flag and a leading dim; only irregular layouts (e.g. a stride-0 expand or a strided slice of the last dim) are
 * copied. Forward only: the gradients dA = dOut B^T and dB = A^T dOut are themselves matmuls, and
 * {@link #matmulInto} accumulates them (beta = 1).
 */
public final class Linalg {
    private static final String OP = "matmul";

    private Linalg() {}

    /**
     * torch.matmul for float32 tensors.
     * <ul>
     * <li>a: (K), b: (K) -> rank-0 dot product;</li>
     * <li>a: (M, K), b: (K, N) -> (M, N);</li>
     * <li>a: (K), b: (..., K, N) -> (..., N) (a is promoted to (1, K), the 1 removed after);</li>
     * <li>a: (..., M, K), b: (K) -> (..., M) (b is promoted to (K, 1), the 1 removed after);</li>
     * <li>a: (..., M, K), b: (..., K, N) -> (..., M, N), the batch dims "..." broadcast NumPy-style, e.g.
     *     (B, H, T, hs) @ (B, H, hs, T) -> (B, H, T, T) and (B, T, C) @ (C, N) -> (B, T, N).</li>
     * </ul>
     * The result is a new contiguous tensor (from the current scope, if any).
     *
     * @throws ShapeMismatchException when the K dims differ or the batch dims do not broadcast
     * @throws IllegalArgumentException for rank-0 or non-float32 operands
     */
    public static Tensor matmul(Tensor a, Tensor b) {
        Plan plan = plan(a, b);
        Tensor out = Tensor.empty(DType.F32, plan.outShape);
        run(plan, a, b, out, 1f, 0f);
        return out;
    }

    /**
     * out = alpha * matmul(a, b) + beta * out, for accumulating gradients in place (beta = 1) or scaled products.
     * out must have exactly the shape matmul(a, b) would have; beta == 0 overwrites out, ignoring its old values
     * (NaN included). out may be a view; if its layout cannot be written row by row (or it shares storage with a
     * or b), the product goes through a temporary. Returns out.
     *
     * @throws ShapeMismatchException when the shapes do not fit or out has the wrong shape
     */
    public static Tensor matmulInto(Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        Plan plan = plan(a, b);
        requireF32("out", out);
        if (!Shape.same(out.shape(), plan.outShape)) {
            throw new ShapeMismatchException(OP, "out of shape " + Shape.str(plan.outShape) + " for a="
                    + Shape.str(a.shape()) + ", b=" + Shape.str(b.shape()), "out=" + Shape.str(out.shape()), null);
        }
        run(plan, a, b, out, alpha, beta);
        return out;
    }

    // ---------------------------------------------------------------- torch.matmul's 1-D rules

    /**
     * torch.matmul's rules for 1-D operands, for every layer that runs the product on matrices: a 1-D first
     * operand (K) is the row (1, K), a 1-D second operand (K) the column (K, 1), and each dim so added is removed
     * from the product again, so (K) @ (K) is a rank-0 dot product. Operands of rank >= 2 are taken as they are.
     */
    public record VectorPromotion(boolean aVector, boolean bVector) {
        /**
         * The promotion for operands of shapes a and b.
         *
         * @throws ShapeMismatchException when either operand has rank 0
         */
        public static VectorPromotion of(int[] a, int[] b) {
            if (a.length == 0 || b.length == 0) {
                throw new ShapeMismatchException(OP, "a: (..., M, K), b: (..., K, N)", shapes(a, b),
                        "both operands need at least one dim; multiply by a scalar with an elementwise op");
            }
            return new VectorPromotion(a.length == 1, b.length == 1);
        }

        /** True when either operand is promoted. */
        public boolean any() {
            return aVector || bVector;
        }

        /** The first operand's shape as a matrix operand: (K) becomes (1, K). */
        public int[] a(int[] shape) {
            return aVector ? new int[] {1, shape[0]} : shape;
        }

        /** The second operand's shape as a matrix operand: (K) becomes (K, 1). */
        public int[] b(int[] shape) {
            return bVector ? new int[] {shape[0], 1} : shape;
        }

        /** The product of the promoted operands, (..., M, N), with the dims the promotion added removed. */
        public int[] result(int[] product) {
            int r = product.length;
            int[] out = Arrays.copyOf(product, r - (aVector ? 1 : 0) - (bVector ? 1 : 0));
            if (aVector && !bVector) {
                out[r - 2] = product[r - 1];
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- planning

    /** Shapes of one product: operands seen as batch + (M, K) and batch + (K, N); out as given. */
    private record Plan(int[] batch, int m, int k, int n, int[] outShape, VectorPromotion promotion) {}

    private static Plan plan(Tensor a, Tensor b) {
        requireF32("a", a);
        requireF32("b", b);
        int[] as = a.shape();
        int[] bs = b.shape();
        VectorPromotion promotion = VectorPromotion.of(as, bs);
        boolean aVector = promotion.aVector();
        boolean bVector = promotion.bVector();
        int[] am = promotion.a(as);
        int[] bm = promotion.b(bs);
        int m = am[am.length - 2];
        int k = am[am.length - 1];
        int kb = bm[bm.length - 2];
        int n = bm[bm.length - 1];
        int[] batchA = Arrays.copyOf(am, am.length - 2);
        int[] batchB = Arrays.copyOf(bm, bm.length - 2);
        if (k != kb) {
            String hint = null;
            if (!bVector && bs[bs.length - 1] == k) {
                hint = "did you mean b.t()?";
            } else if (!aVector && as[as.length - 2] == kb) {
                hint = "did you mean a.t()?";
            }
            throw new ShapeMismatchException(OP, expected(aVector, bVector), shapes(as, bs), hint);
        }
        int[] batch = new int[Math.max(batchA.length, batchB.length)];
        for (int i = 0; i < batch.length; i++) {
            int da = dimFromRight(batchA, batch.length - 1 - i);
            int db = dimFromRight(batchB, batch.length - 1 - i);
            if (da != db && da != 1 && db != 1) {
                throw new ShapeMismatchException(OP, expected(aVector, bVector) + " with batch dims that broadcast",
                        shapes(as, bs), "batch dims " + Shape.str(batchA) + " and " + Shape.str(batchB)
                                + " differ at batch dim " + i + " (" + da + " vs " + db + "); equal sizes or 1 needed");
            }
            batch[i] = da == 1 ? db : da;
        }
        int[] product = Arrays.copyOf(batch, batch.length + 2);
        product[batch.length] = m;
        product[batch.length + 1] = n;
        return new Plan(batch, m, k, n, promotion.result(product), promotion);
    }

    private static String expected(boolean aVector, boolean bVector) {
        return (aVector ? "a: (K)" : "a: (..., M, K)") + ", " + (bVector ? "b: (K)" : "b: (..., K, N)");
    }

    private static String shapes(int[] as, int[] bs) {
        return "a=" + Shape.str(as) + ", b=" + Shape.str(bs);
    }

    /** Dim i counted from the right of dims (0 = last), or 1 past its rank. */
    private static int dimFromRight(int[] dims, int i) {
        return i < dims.length ? dims[dims.length - 1 - i] : 1;
    }

    private static void requireF32(String name, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(OP + ": expected float32 operands; got " + name + "=" + t.describe()
                    + "; hint: convert with .to(DType.F32)");
        }
    }

    // ---------------------------------------------------------------- execution

    /** How Gemm reads the last two dims (rows, cols): (r, c) at r * ld + c, or at r + c * ld when trans. */
    private record Layout(boolean trans, int ld) {}

    private static void run(Plan p, Tensor a, Tensor b, Tensor out, float alpha, float beta) {
        // Views of the operands as batch + (M, K), batch + (K, N) and out as batch + (M, N).
        Tensor a3 = p.promotion.aVector() ? a.unsqueeze(0) : a;
        Tensor b3 = p.promotion.bVector() ? b.unsqueeze(1) : b;
        Tensor aCopy = null;
        Tensor bCopy = null;
        Tensor cTemp = null;
        try {
            if (layout(a3) == null) {          // irregular layout: the one case that copies
                aCopy = a3.copy();
                a3 = aCopy;
            }
            if (layout(b3) == null) {
                bCopy = b3.copy();
                b3 = bCopy;
            }
            Tensor c3 = out;
            if (p.promotion.aVector()) {
                c3 = c3.unsqueeze(p.batch.length);
            }
            if (p.promotion.bVector()) {
                c3 = c3.unsqueeze(c3.rank());
            }
            Layout lc = layout(c3);
            boolean cWritable = lc != null && !lc.trans() && distinctBatch(c3, p)
                    && !out.sharesStorage(a) && !out.sharesStorage(b);
            Tensor cc = c3;
            if (!cWritable) {
                cTemp = beta == 0f ? Tensor.empty(DType.F32, c3.shape()) : c3.copy();
                cc = cTemp;
            }
            gemm(p, a3, b3, cc, alpha, beta);
            if (cTemp != null) {
                c3.copyFrom(cTemp);
            }
        } finally {
            if (aCopy != null) {
                aCopy.close();
            }
            if (bCopy != null) {
                bCopy.close();
            }
            if (cTemp != null) {
                cTemp.close();
            }
        }
    }

    /** Runs Gemm over the batch; a3, b3, c3 have usable layouts. */
    private static void gemm(Plan p, Tensor a3, Tensor b3, Tensor c3, float alpha, float beta) {
        Layout la = layout(a3);
        Layout lb = layout(b3);
        boolean transA = la.trans();
        boolean transB = lb.trans();
        int lda = la.ld();
        int ldb = lb.ld();
        int ldc = layout(c3).ld();
        int nb = p.batch.length;
        long count = Shape.numel(p.batch);
        if (count == 0 || p.m == 0 || p.n == 0) {
            return;
        }
        long[] sa = Shape.broadcastStrides(batchOf(a3), batchStrides(a3), p.batch);
        long[] sb = Shape.broadcastStrides(batchOf(b3), batchStrides(b3), p.batch);
        long[] sc = batchStrides(c3);
        // (B, T, C) @ (C, N): when B is shared by the whole batch and A's batch dims fold into its rows (as do C's),
        // the batch is one (count * M, K) @ (K, N) product: bigger tiles, B packed once per tile.
        if (!transA && allZero(sb) && folds(p.batch, sa, p.m, lda) && folds(p.batch, sc, p.m, ldc)
                && count * p.m <= Integer.MAX_VALUE) {
            Gemm.sgemm(false, transB, (int) (count * p.m), p.n, p.k, alpha, a3.segment(), a3.offset(), lda,
                    b3.segment(), b3.offset(), ldb, beta, c3.segment(), c3.offset(), ldc);
            return;
        }
        int q = Math.toIntExact(count);
        long[] ao = new long[q];
        long[] bo = new long[q];
        long[] co = new long[q];
        int[] idx = new int[nb];
        long oa = a3.offset();
        long ob = b3.offset();
        long oc = c3.offset();
        for (int i = 0; i < q; i++) {
            ao[i] = oa;
            bo[i] = ob;
            co[i] = oc;
            for (int d = nb - 1; d >= 0; d--) {          // odometer over the batch index
                idx[d]++;
                oa += sa[d];
                ob += sb[d];
                oc += sc[d];
                if (idx[d] < p.batch[d]) {
                    break;
                }
                oa -= sa[d] * p.batch[d];
                ob -= sb[d] * p.batch[d];
                oc -= sc[d] * p.batch[d];
                idx[d] = 0;
            }
        }
        Gemm.sgemmBatched(transA, transB, p.m, p.n, p.k, alpha, a3.segment(), ao, lda, b3.segment(), bo, ldb,
                beta, c3.segment(), co, ldc);
    }

    /**
     * The layout of t's last two dims (rows, cols): row-major when element (r, c) sits at r * ld + c, column-major
     * (trans) when at r + c * ld; null when neither (then the caller copies).
     */
    private static Layout layout(Tensor t) {
        int r = t.rank();
        int rows = t.dim(r - 2);
        int cols = t.dim(r - 1);
        long rs = t.stride(r - 2);
        long cs = t.stride(r - 1);
        long ld;
        boolean trans;
        if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= Math.max(cols, 1))) {
            trans = false;
            ld = rows <= 1 ? Math.max(cols, 1) : rs;
        } else if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= Math.max(rows, 1))) {
            trans = true;
            ld = cols <= 1 ? Math.max(rows, 1) : cs;
        } else {
            return null;
        }
        if (ld > Integer.MAX_VALUE) {
            return null;
        }
        return new Layout(trans, (int) ld);
    }

    /** True when t (rank >= 2) would be copied before the kernel reads it; for tests. */
    static boolean needsCopy(Tensor t) {
        return layout(t) == null;
    }

    private static int[] batchOf(Tensor t) {
        return Arrays.copyOf(t.shape(), t.rank() - 2);
    }

    private static long[] batchStrides(Tensor t) {
        return Arrays.copyOf(t.strides(), t.rank() - 2);
    }

    private static boolean allZero(long[] s) {
        for (long v : s) {
            if (v != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when the batch dims (sizes dims, strides st) continue the row dim (m rows of stride ld) without gaps,
     * so batch x rows is one run of rows with stride ld.
     */
    private static boolean folds(int[] dims, long[] st, int m, int ld) {
        long expect = (long) m * ld;
        for (int d = dims.length - 1; d >= 0; d--) {
            if (dims[d] == 1) {
                continue;
            }
            if (st[d] != expect) {
                return false;
            }
            expect *= dims[d];
        }
        return true;
    }

    /** True when out's batch matrices do not overlap (no broadcast, stride-0 batch dims). */
    private static boolean distinctBatch(Tensor c3, Plan p) {
        long[] sc = batchStrides(c3);
        for (int d = 0; d < sc.length; d++) {
            if (p.batch[d] > 1 && sc[d] == 0) {
                return false;
            }
        }
        return true;
    }
}
