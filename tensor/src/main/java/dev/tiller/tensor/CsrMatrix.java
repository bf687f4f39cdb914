package dev.tiller.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A sparse float32 matrix in compressed sparse row form (rows, cols, rowPtr, colIdx, values), immutable. Used for
 * graph adjacency (GCN's normalised D^-1/2 (A + I) D^-1/2). {@link #matmul} is deterministic: each output row sums
 * its nonzeros in column-index order, rows run in parallel with a fixed partition.
 */
public final class CsrMatrix {
    private final int rows;
    private final int cols;
    private final int[] rowPtr;   // (rows + 1)
    private final int[] colIdx;   // (nnz), sorted within each row
    private final float[] values; // (nnz)

    public CsrMatrix(int rows, int cols, int[] rowPtr, int[] colIdx, float[] values) {
        if (rows < 0 || cols < 0 || rowPtr.length != rows + 1 || rowPtr[0] != 0
                || colIdx.length != values.length || rowPtr[rows] != values.length) {
            throw new IllegalArgumentException("CsrMatrix: inconsistent arrays for a " + rows + " x " + cols
                    + " matrix: rowPtr length " + rowPtr.length + " (need " + (rows + 1) + "), nnz " + values.length);
        }
        for (int r = 0; r < rows; r++) {
            if (rowPtr[r + 1] < rowPtr[r]) {
                throw new IllegalArgumentException("CsrMatrix: rowPtr decreases at row " + r);
            }
            for (int k = rowPtr[r]; k < rowPtr[r + 1]; k++) {
                if (colIdx[k] < 0 || colIdx[k] >= cols || (k > rowPtr[r] && colIdx[k] <= colIdx[k - 1])) {
                    throw new IllegalArgumentException("CsrMatrix: row " + r + " has column " + colIdx[k]
                            + " out of range [0, " + cols + ") or out of increasing order");
                }
            }
        }
        this.rows = rows;
        this.cols = cols;
        this.rowPtr = rowPtr.clone();
        this.colIdx = colIdx.clone();
        this.values = values.clone();
    }

    /** From (row, col, value) triples; duplicates are summed. */
    public static CsrMatrix fromTriples(int rows, int cols, int[] r, int[] c, float[] v) {
        Integer[] order = new Integer[r.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> r[a] != r[b] ? Integer.compare(r[a], r[b]) : Integer.compare(c[a], c[b]));
        int[] rowPtr = new int[rows + 1];
        int[] ci = new int[r.length];
        float[] vv = new float[r.length];
        int n = 0;
        for (int k = 0; k < order.length; k++) {
            int i = order[k];
            if (r[i] < 0 || r[i] >= rows) {
                throw new IllegalArgumentException("CsrMatrix: row " + r[i] + " out of range [0, " + rows + ")");
            }
            if (n > 0 && k > 0 && r[order[k - 1]] == r[i] && ci[n - 1] == c[i]) {
                vv[n - 1] += v[i];
                continue;
            }
            ci[n] = c[i];
            vv[n] = v[i];
            rowPtr[r[i] + 1]++;
            n++;
        }
        for (int i = 0; i < rows; i++) {
            rowPtr[i + 1] += rowPtr[i];
        }
        return new CsrMatrix(rows, cols, rowPtr, Arrays.copyOf(ci, n), Arrays.copyOf(vv, n));
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int nnz() {
        return values.length;
    }

    /** The transpose, also in CSR form. */
    public CsrMatrix transpose() {
        int[] r = new int[values.length];
        for (int i = 0; i < rows; i++) {
            for (int k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
                r[k] = i;
            }
        }
        return fromTriples(cols, rows, colIdx, r, values);
    }

    /** this (rows, cols) @ x (cols, C) -> (rows, C), float32, accumulating each output in column order. */
    public Tensor matmul(Tensor x) {
        if (x.rank() != 2 || x.dim(0) != cols || x.dtype() != DType.F32) {
            throw new ShapeMismatchException("spmm", "x: (" + cols + ", C) f32", x.describe(), null);
        }
        Tensor xc = x.contiguous();
        int c = xc.dim(1);
        Tensor out = Tensor.zeros(rows, c);
        MemorySegment xs = xc.segment();
        MemorySegment os = out.segment();
        long xo = xc.offset();
        Parallel.forRange(rows, Math.max(1, 4096 / Math.max(1, c)), (r0, r1) -> {
            for (int i = r0; i < r1; i++) {
                long orow = (long) i * c;
                for (int k = rowPtr[i]; k < rowPtr[i + 1]; k++) {
                    float a = values[k];
                    long xrow = xo + (long) colIdx[k] * c;
                    for (int j = 0; j < c; j++) {
                        float cur = os.getAtIndex(ValueLayout.JAVA_FLOAT, orow + j);
                        os.setAtIndex(ValueLayout.JAVA_FLOAT, orow + j,
                                Math.fma(a, xs.getAtIndex(ValueLayout.JAVA_FLOAT, xrow + j), cur));
                    }
                }
            }
        });
        return out;
    }
}
