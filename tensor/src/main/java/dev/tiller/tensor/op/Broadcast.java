package dev.tiller.tensor.op;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * The iteration plan of an element-wise op over broadcast inputs: the output (contiguous, row-major) is cut into
 * runs along its innermost coalesced dim, where each input either advances by one element (inc 1) or repeats one
 * value (inc 0). Adjacent dims are merged where every input's layout allows, so same-shape contiguous operands
 * give one run of n elements and a bias row broadcast over (B, T, C) gives runs of C. Work is split into fixed
 * chunks of {@link #CHUNK} output elements, independent of the thread count.
 */
final class Broadcast {
    /** Output elements per parallel chunk. */
    static final int CHUNK = 16384;

    private final int n;
    private final int inner;
    private final int[] outer;          // coalesced outer dims, outermost first
    private final long[][] outerStride; // [input][outer dim]
    private final long[] base;          // [input] element offset of output element 0
    private final int[] inc;            // [input] 0 or 1 along the inner dim; -1 if the input needs a dense copy
    private final long[] innerStride;   // [input] stride along the inner dim, any value

    /** The inner-loop body: one run of len outputs starting at output position outPos. */
    @FunctionalInterface
    interface RunBody {
        void run(long[] offsets, int[] inc, long outPos, int len);
    }

    private Broadcast(int n, int inner, int[] outer, long[][] outerStride, long[] base, int[] inc,
                      long[] innerStride) {
        this.n = n;
        this.innerStride = innerStride;
        this.inner = inner;
        this.outer = outer;
        this.outerStride = outerStride;
        this.base = base;
        this.inc = inc;
    }

    /**
     * Plans the iteration of inputs (each broadcastable to out) over out. Inputs whose innermost stride is neither 0
     * nor 1 (a transposed or strided view) are replaced in the array by a contiguous copy; the caller closes every
     * element of the array that is not the original (see {@link #closeCopies}).
     */
    static Broadcast plan(String op, int[] out, Tensor[] inputs) {
        long total = Shape.numel(out);
        if (total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": at most 2^31 - 1 elements per element-wise op, got "
                    + Shape.str(out) + " (" + total + " elements)");
        }
        while (true) {
            Broadcast p = coalesce((int) total, out, inputs);
            int bad = -1;
            for (int k = 0; k < inputs.length; k++) {
                if (p.inc[k] < 0) {
                    bad = k;
                    break;
                }
            }
            if (bad < 0) {
                return p;
            }
            inputs[bad] = dense(inputs[bad]);         // inner stride becomes 0 or 1, so this loop ends
        }
    }

    /** Closes the copies plan() made: entries of now that differ from the same entry of orig. */
    static void closeCopies(Tensor[] orig, Tensor[] now) {
        for (int k = 0; k < orig.length; k++) {
            if (now[k] != orig[k]) {
                now[k].close();
            }
        }
    }

    private static Broadcast coalesce(int n, int[] out, Tensor[] inputs) {
        int r = out.length;
        int k = inputs.length;
        long[][] st = new long[k][];
        for (int j = 0; j < k; j++) {
            st[j] = Shape.broadcastStrides(inputs[j].shape(), inputs[j].strides(), out);
        }
        // keep dims of size != 1 (size-1 dims contribute nothing), then merge a dim into its inner neighbour when
        // every input has stride[d] == stride[d + 1] * size[d + 1]
        int[] dims = new int[r];
        long[][] s = new long[k][r];
        int m = 0;
        for (int d = 0; d < r; d++) {
            if (out[d] == 1) {
                continue;
            }
            boolean merge = m > 0;
            for (int j = 0; j < k && merge; j++) {
                merge = s[j][m - 1] == st[j][d] * out[d];
            }
            if (merge) {
                dims[m - 1] *= out[d];
                for (int j = 0; j < k; j++) {
                    s[j][m - 1] = st[j][d];
                }
            } else {
                dims[m] = out[d];
                for (int j = 0; j < k; j++) {
                    s[j][m] = st[j][d];
                }
                m++;
            }
        }
        int inner = m == 0 ? 1 : dims[m - 1];
        int[] inc = new int[k];
        long[] inner1 = new long[k];
        long[] base = new long[k];
        long[][] os = new long[k][];
        for (int j = 0; j < k; j++) {
            long innerStride = m == 0 ? 0 : s[j][m - 1];
            inc[j] = innerStride == 0 || innerStride == 1 ? (int) innerStride : -1;
            inner1[j] = innerStride;
            base[j] = inputs[j].offset();
            os[j] = Arrays.copyOf(s[j], Math.max(0, m - 1));
        }
        return new Broadcast(n, inner, Arrays.copyOf(dims, Math.max(0, m - 1)), os, base, inc, inner1);
    }

    /** Total output elements. */
    int size() {
        return n;
    }

    /**
     * Calls body for every run, in parallel over fixed chunks of CHUNK outputs; a run never crosses a chunk or a
     * row boundary. Each output element is computed once, by a kernel call whose arithmetic does not depend on
     * where the run starts, so results are bitwise independent of the thread count.
     */
    void forEachRun(RunBody body) {
        final int k = base.length;
        Parallel.forRange(n, CHUNK, (start, end) -> {
            long[] off = new long[k];
            int p = start;
            while (p < end) {
                int row = p / inner;
                int col = p - row * inner;
                for (int j = 0; j < k; j++) {
                    off[j] = base[j] + col * innerStride[j];
                }
                int rem = row;
                for (int d = outer.length - 1; d >= 0 && rem > 0; d--) {
                    int idx = rem % outer[d];
                    rem /= outer[d];
                    for (int j = 0; j < k; j++) {
                        off[j] += idx * outerStride[j][d];
                    }
                }
                int len = Math.min(inner - col, end - p);
                body.run(off, inc, p, len);
                p += len;
            }
        });
    }

    /**
     * t itself when contiguous, else a new contiguous float32 copy made by a strided gather over t's coalesced
     * dims, in parallel over fixed chunks, transposed views in cache-sized tiles (Copy.into does neither, which
     * matters for the elementwise ops' operands). Non-float32 tensors go through t.contiguous(). The caller closes
     * the copy when it is not t.
     */
    static Tensor dense(Tensor t) {
        if (t.isContiguous() || t.dtype() != DType.F32) {
            return t.contiguous();
        }
        int[] shape = t.shape();
        Tensor out = Tensor.empty(DType.F32, shape);
        Broadcast p = coalesce((int) Shape.numel(shape), shape, new Tensor[] {t});
        final long stride = p.innerStride[0];
        final MemorySegment src = t.segment();
        final MemorySegment dst = out.segment();
        final long oo = out.offset();
        int q = p.outer.length;
        if (p.n > 0 && q >= 1 && p.inner >= 16 && Math.abs(p.outerStride[0][q - 1]) < Math.abs(stride)) {
            p.tiledGather(src, dst, oo);           // a transpose: read along the next dim, in 64 x 64 tiles
            return out;
        }
        p.forEachRun((off, inc, pos, len) -> {
            long s = off[0];
            for (int i = 0; i < len; i++, s += stride) {
                dst.setAtIndex(ValueLayout.JAVA_FLOAT, oo + pos + i, src.getAtIndex(ValueLayout.JAVA_FLOAT, s));
            }
        });
        return out;
    }

    /**
     * dense() for a single input whose next-outer dim has the smaller stride (a transposed view): 64 x 64 tiles
     * of (that dim, inner dim), read along the small stride, so a tile touches 64 source lines instead of one line
     * (and one page) per element. Tiles are independent tasks; each output element is a plain copy.
     */
    private void tiledGather(MemorySegment src, MemorySegment dst, long oo) {
        final int tile = 64;
        final int q = outer.length;
        final int rows = outer[q - 1];
        final int cols = inner;
        final int higher = n / (rows * cols);
        final int rt = (rows + tile - 1) / tile;
        final int ct = (cols + tile - 1) / tile;
        final long s1 = outerStride[0][q - 1];
        final long si = innerStride[0];
        Parallel.forRange(higher * rt * ct, 1, (start, end) -> {
            for (int task = start; task < end; task++) {
                int h = task / (rt * ct);
                int rem = task - h * rt * ct;
                int r0 = rem / ct * tile;
                int c0 = rem % ct * tile;
                long hb = base[0];
                for (int d = q - 2, x = h; d >= 0; d--) {
                    hb += (x % outer[d]) * outerStride[0][d];
                    x /= outer[d];
                }
                int r1 = Math.min(rows, r0 + tile);
                int c1 = Math.min(cols, c0 + tile);
                for (int c = c0; c < c1; c++) {
                    long so = hb + r0 * s1 + c * si;
                    long d0 = oo + ((long) h * rows + r0) * cols + c;
                    for (int r = r0; r < r1; r++, so += s1, d0 += cols) {
                        dst.setAtIndex(ValueLayout.JAVA_FLOAT, d0, src.getAtIndex(ValueLayout.JAVA_FLOAT, so));
                    }
                }
            }
        });
    }

    /** Throws unless t is float32; names op and the operand. */
    static void requireF32(String op, String name, Tensor t) {
        if (t.dtype() != DType.F32) {
            throw new IllegalArgumentException(op + ": expected a float32 " + name + "; got " + t.describe()
                    + "; hint: convert with .to(DType.F32)");
        }
    }
}
