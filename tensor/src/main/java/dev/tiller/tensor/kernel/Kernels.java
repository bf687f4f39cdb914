package dev.tiller.tensor.kernel;

/**
 * The kernel switch. Every SIMD kernel in this package has a scalar twin with the same signature in
 * {@code dev.tiller.tensor.kernel.ref}; {@code -Dtiller.simd=false} runs the whole engine on the twins, for
 * debugging and bisecting (STYLE.md P2). Read once; the JIT folds the branch away.
 */
public final class Kernels {
    /** True unless -Dtiller.simd=false. */
    public static final boolean SIMD = !"false".equalsIgnoreCase(System.getProperty("tiller.simd", "true"));

    private Kernels() {}
}
