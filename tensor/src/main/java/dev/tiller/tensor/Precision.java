package dev.tiller.tensor;

/**
 * Conversions between float32 and the 16-bit storage formats. bfloat16 keeps float32's 8-bit exponent and 7 mantissa
 * bits; float16 (IEEE binary16) has a 5-bit exponent and 10 mantissa bits. Default rounding is round-to-nearest-even;
 * bfloat16 also has stochastic rounding, which rounds up with probability equal to the dropped fraction so that the
 * rounding error is zero in expectation (useful for optimizer state, where RNE would swallow small updates).
 */
public final class Precision {
    private Precision() {}

    /** float32 to bfloat16 bits, round-to-nearest-even; NaN stays NaN (quiet), infinities stay infinite. */
    public static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            return (short) ((bits >>> 16) | 0x0040);          // NaN: keep sign and top payload, force quiet bit
        }
        int roundingBias = 0x7fff + ((bits >>> 16) & 1);        // ties go to the even neighbour
        return (short) ((bits + roundingBias) >>> 16);
    }

    /**
     * float32 to bfloat16 bits with stochastic rounding: random16's low 16 bits are added below the kept mantissa
     * before truncation, so the result rounds up with probability (dropped bits) / 2^16.
     * NaN stays NaN; infinities stay infinite.
     */
    public static short toBf16Stochastic(float f, int random16) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) >= 0x7f800000) {
            return (bits & 0x7fffffff) == 0x7f800000 ? (short) (bits >>> 16) : (short) ((bits >>> 16) | 0x0040);
        }
        return (short) ((bits + (random16 & 0xffff)) >>> 16);
    }

    /** bfloat16 bits to float32 (exact). */
    public static float fromBf16(short h) {
        return Float.intBitsToFloat((h & 0xffff) << 16);
    }

    /** float32 to IEEE float16 bits, round-to-nearest-even, overflow to infinity, subnormals kept. */
    public static short toF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** IEEE float16 bits to float32 (exact). */
    public static float fromF16(short h) {
        return Float.float16ToFloat(h);
    }
}
