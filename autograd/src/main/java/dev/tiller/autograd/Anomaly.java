package dev.tiller.autograd;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.CodeSource;
import java.util.Objects;

/**
 * Anomaly mode: when on, the first op whose forward or backward produces a NaN or an infinity raises
 * {@link AnomalyException} naming the op, its input shapes and the caller's source line (the first stack frame
 * outside Tiller's engine). Off by default: it scans every output and records a call site per op.
 * Switch with {@link #enable}, or {@code -Dtiller.anomaly=true}.
 */
public final class Anomaly {
    private static volatile boolean enabled = Boolean.getBoolean("tiller.anomaly");

    private Anomaly() {}

    public static boolean isEnabled() {
        return enabled;
    }

    public static void enable(boolean on) {
        enabled = on;
    }

    /** Thrown at the first non-finite value an op produces while anomaly mode is on. */
    public static final class AnomalyException extends ArithmeticException {
        private static final long serialVersionUID = 1L;

        AnomalyException(String message) {
            super(message);
        }
    }

    private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);
    private static final CodeSource ENGINE = Anomaly.class.getProtectionDomain().getCodeSource();
    private static final CodeSource TENSOR = Tensor.class.getProtectionDomain().getCodeSource();

    /**
     * The first stack frame that is not engine code: the user's line. Engine frames are those loaded from the
     * autograd or tensor artifact (by code source, so user classes in the same packages still count as callers).
     */
    static String callerSite() {
        return WALKER.walk(frames -> frames
                .filter(f -> {
                    CodeSource cs = f.getDeclaringClass().getProtectionDomain().getCodeSource();
                    return !Objects.equals(cs, ENGINE) && !Objects.equals(cs, TENSOR);
                })
                .findFirst()
                .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                        + f.getLineNumber() + ")")
                .orElse("unknown"));
    }

    /** Index of the first NaN or infinity in a floating tensor, or -1. */
    static long firstNonFinite(Tensor t) {
        if (t.dtype() != DType.F32) {
            return t.dtype().isFloating() ? firstNonFinite(t.to(DType.F32)) : -1;
        }
        Tensor c = t.contiguous();
        MemorySegment s = c.segment();
        long n = c.numel();
        long off = c.offset();
        for (long i = 0; i < n; i++) {
            if (!Float.isFinite(s.getAtIndex(ValueLayout.JAVA_FLOAT, off + i))) {
                return i;
            }
        }
        return -1;
    }

    static void check(String phase, String op, Tensor produced, Tensor[] inputs, String site) {
        long bad = firstNonFinite(produced);
        if (bad < 0) {
            return;
        }
        StringBuilder shapes = new StringBuilder();
        for (int i = 0; i < inputs.length; i++) {
            if (i > 0) {
                shapes.append(", ");
            }
            shapes.append(inputs[i] == null ? "none" : Shape.str(inputs[i].shape()));
        }
        float v = produced.contiguous().reshape(-1).getFloat((int) bad);
        throw new AnomalyException(op + " " + phase + " produced " + v + " at flat index " + bad + " of an output "
                + Shape.str(produced.shape()) + "; inputs " + shapes + "; called from " + site);
    }
}
