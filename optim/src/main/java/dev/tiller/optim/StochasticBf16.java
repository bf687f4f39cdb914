package dev.tiller.optim;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Parallel;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.kernel.ConvertKernels;

import java.lang.foreign.MemorySegment;

/**
 * Stochastic rounding of float32 optimizer state to its bfloat16 storage ({@link StatePrecision#BF16}): each value
 * rounds up with probability equal to the fraction of a bfloat16 ulp it lies above the value below, so small
 * updates survive in expectation. The random bits of element i are Philox(seed, stream, i), so the rounding is
 * reproducible and independent of the thread count.
 */
final class StochasticBf16 {
    /** Elements per parallel chunk; any size gives the same bits, since element i's random bits depend on i only. */
    private static final int GRAIN = 1 << 14;

    private StochasticBf16() {}

    /**
     * Writes src (contiguous float32) into dst (contiguous bfloat16 of the same element count), rounding
     * stochastically with the random stream (seed, stream).
     */
    static void round(Tensor src, Tensor dst, long seed, long stream) {
        if (src.dtype() != DType.F32 || dst.dtype() != DType.BF16 || !src.isContiguous() || !dst.isContiguous()
                || src.numel() != dst.numel()) {
            throw new IllegalArgumentException("stochastic bf16 rounding: needs contiguous f32 source and bf16"
                    + " destination of equal size, got " + src.describe() + " -> " + dst.describe());
        }
        long n = src.numel();
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("stochastic bf16 rounding: at most 2^31 - 1 elements, got "
                    + src.describe());
        }
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        long so = src.offset();
        long dOff = dst.offset();
        Parallel.forRange((int) n, GRAIN, (a, b) -> ConvertKernels.f32ToBf16Stochastic(s, so + a, d, dOff + a, b - a,
                seed, stream, a));
    }
}
