package dev.tiller.tensor.kernel;

import dev.tiller.tensor.kernel.ref.RefReduce;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
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
    /** Floats loaded as many lanes as D has, so F2D is a same-lane-count conversion. */
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class,
            VectorShape.forBitSize(D.vectorBitSize() / 2));
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int DL = D.length();
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private SimdReduce() {}

    /** See RefReduce.sum. */
    public static double sum(MemorySegment x, long off, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (final int bound = FH.loopBound(n); i < bound; i += DL) {
            acc = acc.add(widen(x, off + i));
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
        for (final int bound = FH.loopBound(n); i < bound; i += DL) {
            DoubleVector d = widen(x, off + i).sub(m);
            acc = d.fma(d, acc);
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
        for (final int bound = FH.loopBound(n); i < bound; i += DL) {
            FloatVector e = FloatVector.fromMemorySegment(FH, x, (off + i) * Float.BYTES, NATIVE).sub(shift);
            e = VecMath.exp(e);
            acc = acc.add((DoubleVector) e.convertShape(VectorOperators.F2D, D, 0));
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
        final int bound = FH.loopBound(cols);
        for (int r = 0; r < rows; r++) {
            long base = off + r * ld;
            int c = 0;
            for (; c < bound; c += DL) {
                DoubleVector.fromArray(D, acc, c).add(widen(x, base + c)).intoArray(acc, c);
            }
            for (; c < cols; c++) {
                acc[c] += x.getAtIndex(F32, base + c);
            }
        }
    }

    private static DoubleVector widen(MemorySegment x, long i) {
        return (DoubleVector) FloatVector.fromMemorySegment(FH, x, i * Float.BYTES, NATIVE)
                .convertShape(VectorOperators.F2D, D, 0);
    }
}
