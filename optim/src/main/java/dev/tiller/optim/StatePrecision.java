package dev.tiller.optim;

/**
 * How an optimizer state tensor is stored. Updates always run in float32 on a scratch copy of one parameter's
 * state at a time; the stored form is what costs memory.
 * <ul>
 *   <li>F32: 4 bytes per element, exact.</li>
 *   <li>BF16: 2 bytes; written back with stochastic rounding (Philox-keyed, reproducible), so small updates are not
 *       lost in expectation. NOTE: decay factors are applied in float32 on the scratch copy, so beta2 = 0.999 is
 *       not itself rounded to 1.0 (the bfloat16 pitfall); only the state values are rounded.</li>
 *   <li>Q8: 1 byte per element plus one float32 absmax scale per block of 256 elements (block-wise linear
 *       quantization, as bitsandbytes/DL4J's Adam8bit), with stochastic rounding.</li>
 * </ul>
 */
public enum StatePrecision {
    F32, BF16, Q8;

    /** Elements per quantization block for Q8. */
    public static final int Q8_BLOCK = 256;

    /** Stored bytes per element, including Q8's per-block scale. */
    public double bytesPerElement() {
        return switch (this) {
            case F32 -> 4;
            case BF16 -> 2;
            case Q8 -> 1 + 4.0 / Q8_BLOCK;
        };
    }
}
