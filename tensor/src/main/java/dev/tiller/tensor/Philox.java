package dev.tiller.tensor;

/**
 * Philox4x32-10, the counter-based generator of Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"
 * (SC 2011). Every draw is a pure function of (seed, stream, counter), so any value used for initialisation,
 * dropout or data order can be recomputed without carried state, and work split across threads draws the same
 * numbers whatever the split. The 64-bit seed is the key; the 128-bit counter is (counter, stream).
 * One call yields four 32-bit words; {@link #uniform} and {@link #normal} index single values by element number.
 */
public final class Philox {
    private static final int M0 = 0xD2511F53;
    private static final int M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9;   // golden ratio
    private static final int W1 = 0xBB67AE85;   // sqrt(3) - 1

    private Philox() {}

    /**
     * The raw block function: ten Philox rounds of counter (c0..c3) under key (k0, k1); writes four words to out.
     */
    public static void block(int c0, int c1, int c2, int c3, int k0, int k1, int[] out) {
        for (int r = 0; r < 10; r++) {
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** Word (index mod 4) of block (index / 4) of (seed, stream): the index-th 32-bit value of that stream. */
    public static int bits(long seed, long stream, long index) {
        long counter = index >>> 2;
        int lane = (int) (index & 3);
        // Compute the block inline to avoid an array: unrolled copy of block() returning one lane.
        int c0 = (int) counter;
        int c1 = (int) (counter >>> 32);
        int c2 = (int) stream;
        int c3 = (int) (stream >>> 32);
        int k0 = (int) seed;
        int k1 = (int) (seed >>> 32);
        for (int r = 0; r < 10; r++) {
            long p0 = (M0 & 0xffffffffL) * (c0 & 0xffffffffL);
            long p1 = (M1 & 0xffffffffL) * (c2 & 0xffffffffL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n1 = (int) p1;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            int n3 = (int) p0;
            c0 = n0;
            c1 = n1;
            c2 = n2;
            c3 = n3;
            k0 += W0;
            k1 += W1;
        }
        return switch (lane) {
            case 0 -> c0;
            case 1 -> c1;
            case 2 -> c2;
            default -> c3;
        };
    }

    /** A uniform float in [0, 1) with 24 random bits: the index-th value of (seed, stream). */
    public static float uniform(long seed, long stream, long index) {
        return (bits(seed, stream, index) >>> 8) * 0x1p-24f;
    }

    /**
     * A standard normal value by Box-Muller from the uniforms at 2*index and 2*index+1 of (seed, stream).
     * Computed in double; u1 is taken from (0, 1] so the logarithm is finite.
     */
    public static float normal(long seed, long stream, long index) {
        double u1 = ((bits(seed, stream, 2 * index) >>> 8) + 1) * 0x1p-24;
        double u2 = (bits(seed, stream, 2 * index + 1) >>> 8) * 0x1p-24;
        // NOTE: StrictMath, not Math: Math.log/cos may differ in the last bit between JIT tiers, and a draw must
        // be the same value whenever and wherever it is recomputed.
        return (float) (Math.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2));
    }

    /** A uniform long in [0, bound) by rejection-free multiply-shift on 32 random bits; bound <= 2^31. */
    public static int below(long seed, long stream, long index, int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("Philox.below: bound must be > 0, got " + bound);
        }
        return (int) (((bits(seed, stream, index) & 0xffffffffL) * bound) >>> 32);
    }
}
