package dev.tiller.tensor.kernel;

import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Precision;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Bulk conversions between float32 and the 16-bit storage formats, bitwise equal to {@link
 * dev.tiller.tensor.Precision}'s scalar definitions (twin: RefConvert, which loops over Precision).
 * bfloat16 conversions are integer SIMD on the float bits; float16 conversions are loops over
 * Float.floatToFloat16 / float16ToFloat, which C2 compiles to the hardware conversion (F16C) and vectorises, as the
 * Vector API has no float16 lane type in JDK 25. Offsets and counts are in elements of each array.
 */
public final class Convert {
    private static final VectorSpecies<Integer> SI = IntVector.SPECIES_PREFERRED;
    /** Shorts with as many lanes as SI, so I2S and S2I keep the lane count. */
    private static final VectorSpecies<Short> SS = VectorSpecies.of(short.class,
            VectorShape.forBitSize(SI.vectorBitSize() / 2));
    private static final int L = SI.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;

    private Convert() {}

    /** dst[dOff + i] = Precision.toBf16(src[sOff + i]): round to nearest even, NaN kept quiet, inf kept. */
    public static void f32ToBf16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        int i = 0;
        for (final int bound = SI.loopBound(n); i < bound; i += L) {
            IntVector bits = IntVector.fromMemorySegment(SI, src, (sOff + i) * Float.BYTES, NATIVE);
            IntVector high = bits.lanewise(VectorOperators.LSHR, 16);
            // bits + 0x7fff + (kept lsb) then >>> 16: adds half an ulp, and the lsb makes exact ties go to even
            IntVector rounded = bits.add(high.and(1)).add(0x7fff).lanewise(VectorOperators.LSHR, 16);
            VectorMask<Integer> nan = bits.and(0x7fffffff).compare(VectorOperators.GT, 0x7f800000);
            IntVector out = rounded.blend(high.or(0x40), nan);
            out.convertShape(VectorOperators.I2S, SS, 0).intoMemorySegment(dst, (dOff + i) * 2L, NATIVE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(I16, dOff + i, Precision.toBf16(src.getAtIndex(F32, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.fromBf16(src[sOff + i]) (exact: the bits move to the high half). */
    public static void bf16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        int i = 0;
        for (final int bound = SI.loopBound(n); i < bound; i += L) {
            ShortVector h = ShortVector.fromMemorySegment(SS, src, (sOff + i) * 2L, NATIVE);
            IntVector wide = (IntVector) h.convertShape(VectorOperators.S2I, SI, 0);   // sign-extended; shifted out
            IntVector bits = wide.lanewise(VectorOperators.LSHL, 16);
            bits.intoMemorySegment(dst, (dOff + i) * Float.BYTES, NATIVE);
        }
        for (; i < n; i++) {
            dst.setAtIndex(F32, dOff + i, Precision.fromBf16(src.getAtIndex(I16, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.toF16(src[sOff + i]) (IEEE binary16, round to nearest even). */
    public static void f32ToF16(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(I16, dOff + i, Float.floatToFloat16(src.getAtIndex(F32, sOff + i)));
        }
    }

    /** dst[dOff + i] = Precision.fromF16(src[sOff + i]) (exact). */
    public static void f16ToF32(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(F32, dOff + i, Float.float16ToFloat(src.getAtIndex(I16, sOff + i)));
        }
    }

    /**
     * dst[dOff + i] = Precision.toBf16Stochastic(src[sOff + i], Philox.bits(seed, stream, index0 + i)): element i's
     * random bits depend only on its global index index0 + i, so any split of a tensor into chunks gives the same
     * bits. Philox yields four words per counter; this kernel computes each block once for its four elements
     * (Philox.bits recomputes the block per element), then adds the low 16 random bits below the kept mantissa.
     */
    public static void f32ToBf16Stochastic(MemorySegment src, long sOff, MemorySegment dst, long dOff, int n,
                                           long seed, long stream, long index0) {
        int i = 0;
        while (i < n && ((index0 + i) & 3) != 0) {            // up to the next block boundary, one at a time
            storeStochastic(src, sOff + i, dst, dOff + i, Philox.bits(seed, stream, index0 + i));
            i++;
        }
        final int k0 = (int) seed;
        final int k1 = (int) (seed >>> 32);
        final int c2 = (int) stream;
        final int c3 = (int) (stream >>> 32);
        final int[] words = new int[4];
        for (; i + 4 <= n; i += 4) {
            long counter = (index0 + i) >>> 2;
            Philox.block((int) counter, (int) (counter >>> 32), c2, c3, k0, k1, words);
            for (int l = 0; l < 4; l++) {
                storeStochastic(src, sOff + i + l, dst, dOff + i + l, words[l]);
            }
        }
        for (; i < n; i++) {
            storeStochastic(src, sOff + i, dst, dOff + i, Philox.bits(seed, stream, index0 + i));
        }
    }

    private static void storeStochastic(MemorySegment src, long s, MemorySegment dst, long d, int random) {
        dst.setAtIndex(I16, d, Precision.toBf16Stochastic(src.getAtIndex(F32, s), random));
    }
}
