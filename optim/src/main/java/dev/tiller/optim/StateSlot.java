package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One optimizer state tensor (a moment, an accumulator, a preconditioner) in its stored precision. An update opens
 * it as a float32 tensor ({@link #open()}), changes it in place, then commits it ({@link #commit(long)}), which
 * encodes back to bfloat16 or 8-bit with stochastic rounding keyed by (seed, slot id, step * size + i), so runs
 * are reproducible. For F32 storage open() returns the stored tensor itself and commit is free.
 * Stored tensors start at zero (arena memory is zeroed); {@link #fill} sets another start value.
 */
public final class StateSlot {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    private final String name;
    private final StatePrecision precision;
    private final long id;
    private final long seed;
    private final Tensor stored;      // F32, BF16, or I8 codes
    private final Tensor scales;      // Q8 only: (ceil(n / Q8_BLOCK)) per-block absmax
    private Tensor scratch;           // BF16/Q8 only: float32 working copy, reused

    StateSlot(String name, StatePrecision precision, long id, long seed, Allocator alloc, int... shape) {
        this.name = name;
        this.precision = precision;
        this.id = id;
        this.seed = seed;
        this.stored = Tensor.allocate(alloc, switch (precision) {
            case F32 -> DType.F32;
            case BF16 -> DType.BF16;
            case Q8 -> DType.I8;
        }, shape);
        stored.segment().fill((byte) 0);
        if (precision == StatePrecision.Q8) {
            int blocks = (int) ((stored.numel() + StatePrecision.Q8_BLOCK - 1) / StatePrecision.Q8_BLOCK);
            this.scales = Tensor.allocate(alloc, DType.F32, blocks);
            scales.segment().fill((byte) 0);
        } else {
            this.scales = null;
        }
    }

    public String name() {
        return name;
    }

    public StatePrecision precision() {
        return precision;
    }

    /** The stored tensor (and, for Q8, its scales under name + "#scale"). */
    Tensor stored() {
        return stored;
    }

    Tensor scales() {
        return scales;
    }

    /** Bytes of stored state. */
    long bytes() {
        return stored.numel() * stored.dtype().bytes() + (scales == null ? 0 : scales.numel() * 4);
    }

    /** The state as a float32 tensor to update in place; call commit afterwards. */
    public Tensor open() {
        if (precision == StatePrecision.F32) {
            return stored;
        }
        if (scratch == null) {
            scratch = Tensor.allocate(Allocators.auto(), DType.F32, stored.shape());
        }
        MemorySegment d = scratch.segment();
        long n = stored.numel();
        if (precision == StatePrecision.BF16) {
            scratch.copyFrom(stored);
        } else {
            MemorySegment codes = stored.segment();
            MemorySegment sc = scales.segment();
            for (long i = 0; i < n; i++) {
                float scale = sc.getAtIndex(F32, i / StatePrecision.Q8_BLOCK);
                d.setAtIndex(F32, i, codes.get(ValueLayout.JAVA_BYTE, i) * (scale / 127f));
            }
        }
        return scratch;
    }

    /** {@link #open()} as an element view, for a scalar loop; call commit afterwards. */
    Floats openElements() {
        return Floats.of(open());
    }

    /** Writes the float32 working copy back in the stored precision; step keys the stochastic rounding. */
    public void commit(long step) {
        if (precision == StatePrecision.F32) {
            return;
        }
        long n = stored.numel();
        long base = step * n;
        if (precision == StatePrecision.BF16) {
            StochasticBf16.round(scratch, stored, seed, (id << 40) + step);
            return;
        }
        MemorySegment s = scratch.segment();
        MemorySegment codes = stored.segment();
        MemorySegment sc = scales.segment();
        int block = StatePrecision.Q8_BLOCK;
        for (long b0 = 0; b0 < n; b0 += block) {
            long b1 = Math.min(n, b0 + block);
            float absmax = 0f;
            for (long i = b0; i < b1; i++) {
                absmax = Math.max(absmax, Math.abs(s.getAtIndex(F32, i)));
            }
            sc.setAtIndex(F32, b0 / block, absmax);
            float inv = absmax == 0f ? 0f : 127f / absmax;
            for (long i = b0; i < b1; i++) {
                // stochastic rounding of v * 127 / absmax to an integer in [-127, 127]
                float q = s.getAtIndex(F32, i) * inv;
                float fl = (float) Math.floor(q);
                float u = Philox.uniform(seed, id, base + i);
                int code = (int) (u < q - fl ? fl + 1 : fl);
                codes.set(ValueLayout.JAVA_BYTE, i, (byte) Math.max(-127, Math.min(127, code)));
            }
        }
    }

    /** Sets every element to value (e.g. Adagrad's initial accumulator); returns this slot. */
    public StateSlot fill(float value) {
        Tensor t = open();
        t.fill(value);
        commit(0);
        return this;
    }

    /** Sets the state to a copy of from (same shape, e.g. a start point); returns this slot. */
    public StateSlot fill(Tensor from) {
        open().copyFrom(from);
        commit(0);
        return this;
    }
}
