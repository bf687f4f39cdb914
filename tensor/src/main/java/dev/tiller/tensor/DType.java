package dev.tiller.tensor;

import java.util.Locale;

/**
 * Element types a tensor can hold. Floating point compute happens in float32; bfloat16 and float16 are storage
 * formats converted on load and store (see {@link Precision}). Integer types hold indices and class targets; I8 holds
 * quantized codes (8-bit optimizer state).
 */
public enum DType {
    F32(4, true), BF16(2, true), F16(2, true), I32(4, false), I64(8, false), I8(1, false);

    private final int bytes;
    private final boolean floating;

    DType(int bytes, boolean floating) {
        this.bytes = bytes;
        this.floating = floating;
    }

    /** Size of one element in bytes. */
    public int bytes() {
        return bytes;
    }

    /** True for F32, BF16 and F16. */
    public boolean isFloating() {
        return floating;
    }

    /** Lower-case short name used in messages and files: f32, bf16, f16, i32, i64. */
    public String shortName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
