package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefReduce;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * SIMD reductions of one contiguous run of float32 values. Sums widen every element to double and accumulate
 * lane-wise in double (one accumulator per lane, lanes added in lane order at the end, then the scalar tail), so
 * they agree with the sequential double sum of the twin to about n 2^-53 sum|x|; max and min are exact.
 * The op layer cuts long runs into fixed chunks and combines chunk results in order. Twin: RefReduce.
 */
public final class SimdReduce {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    /**
     * The only float species here: each S vector widens to two D vectors (F2D parts 0 and 1), and a last half
     * vector loads under LOW. Rule: no second float species, not even a half-width one for the widening. All kernels
     * share FloatVector's methods, and a second vector class in their type profiles can lead C2 to box vectors in
     * other kernels (the GEMM microkernel among them); VectorApiConfinementTest enforces it.
     */
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    private static final int L = S.length();
    /** The first DL lanes of S: the elements one D vector takes. */
    private static final VectorMask<Float> LOW = S.indexInRange(0, DL);
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private SimdReduce() {}

    /** See RefReduce.sum. */
    public static double sum(MemorySegment x, long off, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (final int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector v = load(x, off + i);
            acc = acc.add(low(v)).add(high(v));
        }
        if (n - i >= DL) {
            acc = acc.add(low(loadLow(x, off + i)));
            i += DL;
        }
        double s = VecMath.sumLanes(acc);
        for (; i < n; i++) {
            s += x.getAtIndex(F32, off + i);
        }
        return s;
    }

    /** See RefReduce.sumSquaredDeviation. */
    public static double sumSquaredDeviation(MemorySegment x, long off, int n, double mean) {
        DoubleVector acc = DoubleVector.zero(D);
        DoubleVector m = DoubleVector.broadcast(D, mean);
        int i = 0;
        for (final int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector v = load(x, off + i);
            DoubleVector d = low(v).sub(m);
            acc = d.fma(d, acc);
            d = high(v).sub(m);
            acc = d.fma(d, acc);
        }
        if (n - i >= DL) {
            DoubleVector d = low(loadLow(x, off + i)).sub(m);
            acc = d.fma(d, acc);
            i += DL;
        }
        double s = VecMath.sumLanes(acc);
        for (; i < n; i++) {
            double d = x.getAtIndex(F32, off + i) - mean;
            s += d * d;
        }
        return s;
    }

    /** See RefReduce.sumExp. Here e^(x - shift) is VecMath.exp in float (within 2 ulp;
     * the tail uses StrictMath.exp rounded to float), summed in double. */
    public static double sumExp(MemorySegment x, long off, int n, float shift) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (final int bound = S.loopBound(n); i < bound; i += L) {
            FloatVector e = VecMath.exp(load(x, off + i).sub(shift));
            acc = acc.add(low(e)).add(high(e));
        }
        if (n - i >= DL) {
            // the masked-off lanes hold exp(0 - shift), never added
            FloatVector e = VecMath.exp(loadLow(x, off + i).sub(shift));
            acc = acc.add(low(e));
            i += DL;
        }
        double s = VecMath.sumLanes(acc);
        for (; i < n; i++) {
            s += (float) StrictMath.exp(x.getAtIndex(F32, off + i) - shift);
        }
        return s;
    }

    /** See RefReduce.max: NaN if any element is NaN. */
    public static float max(MemorySegment x, long off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (final int bound = S.loopBound(n); i < bound; i += L) {
            acc = acc.max(FloatVector.fromMemorySegment(S, x, (off + i) * Float.BYTES, NATIVE));  // Math.max: NaN wins
        }
        float m = Float.NEGATIVE_INFINITY;
        for (int l = 0; l < L; l++) {          // lane by lane with Math.max, so a NaN lane is never lost
            m = Math.max(m, acc.lane(l));
        }
        for (; i < n; i++) {
            m = Math.max(m, x.getAtIndex(F32, off + i));
        }
        return m;
    }

    /** See RefReduce.min: NaN if any element is NaN. */
    public static float min(MemorySegment x, long off, int n) {
        FloatVector acc = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        int i = 0;
        for (final int bound = S.loopBound(n); i < bound; i += L) {
            acc = acc.min(FloatVector.fromMemorySegment(S, x, (off + i) * Float.BYTES, NATIVE));
        }
        float m = Float.POSITIVE_INFINITY;
        for (int l = 0; l < L; l++) {
            m = Math.min(m, acc.lane(l));
        }
        for (; i < n; i++) {
            m = Math.min(m, x.getAtIndex(F32, off + i));
        }
        return m;
    }

    /** See RefReduce.argmax. Scalar for now (a compare-and-select loop); it shares the twin's loop. */
    public static int argmax(MemorySegment x, long off, int n) {
        return RefReduce.argmax(x, off, n);
    }

    /** See RefReduce.argmin. Scalar for now; it shares the twin's loop. */
    public static int argmin(MemorySegment x, long off, int n) {
        return RefReduce.argmin(x, off, n);
    }

    /**
     * See RefReduce.sumColumns. Lane c of each vector adds x[r][c] to acc[c] in the same row order as the twin, so
     * the two agree bitwise.
     */
    public static void sumColumns(MemorySegment x, long off, int rows, long ld, int cols, double[] acc) {
        final int bound = S.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long base = off + r * ld;
            int c = 0;
            for (; c < bound; c += L) {
                FloatVector v = load(x, base + c);
                DoubleVector.fromArray(D, acc, c).add(low(v)).intoArray(acc, c);
                DoubleVector.fromArray(D, acc, c + DL).add(high(v)).intoArray(acc, c + DL);
            }
            if (cols - c >= DL) {
                DoubleVector.fromArray(D, acc, c).add(low(loadLow(x, base + c))).intoArray(acc, c);
                c += DL;
            }
            for (; c < cols; c++) {
                acc[c] += x.getAtIndex(F32, base + c);
            }
        }
    }

    private static FloatVector load(MemorySegment x, long i) {
        return FloatVector.fromMemorySegment(S, x, i * Float.BYTES, NATIVE);
    }

    /** x[i..i+DL) in S's low lanes, zeros above; nothing past them is read. */
    private static FloatVector loadLow(MemorySegment x, long i) {
        return FloatVector.fromMemorySegment(S, x, i * Float.BYTES, NATIVE, LOW);
    }

    private static DoubleVector low(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 0);
    }

    private static DoubleVector high(FloatVector v) {
        return (DoubleVector) v.convertShape(VectorOperators.F2D, D, 1);
    }
}
