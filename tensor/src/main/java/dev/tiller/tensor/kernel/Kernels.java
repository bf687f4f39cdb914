package dev.tiller.tensor.kernel;

/**
 * The kernel switch. Every SIMD kernel in this package has a scalar twin with the same signature in
 * {@code dev.tiller.tensor.kernel.ref}; {@code -Dtiller.simd=false} runs the whole engine on the twins, for
 * debugging and bisecting. Read once; the JIT folds the branch away.
 *
 * <p>The engine needs the incubating Vector API in the boot layer, twins included (the GEMM driver sizes its
 * tiles from the SIMD kernel's geometry on both paths). Without {@code --add-modules jdk.incubator.vector} the
 * first kernel class would die with a bare {@code NoClassDefFoundError: jdk/incubator/vector/Vector}; this
 * class fails first, naming the flag, and Tensor initialises it so the check runs before any kernel is touched.
 */
public final class Kernels {
    /** The JVM option that puts the Vector API in the boot layer. */
    public static final String VECTOR_FLAG = "--add-modules jdk.incubator.vector";

    /** True unless -Dtiller.simd=false. */
    public static final boolean SIMD;

    static {
        if (!vectorApiPresent()) {
            // An Error, not an exception, so the JVM throws it as is instead of wrapping it in an
            // ExceptionInInitializerError, and the message is the first line the user sees.
            throw new LinkageError("Tiller needs the incubating Vector API (module jdk.incubator.vector), also with"
                    + " -Dtiller.simd=false: start java with " + VECTOR_FLAG
                    + " (./tiller passes it; a Maven Surefire or exec run needs it in its argLine / JVM options)");
        }
        SIMD = !"false".equalsIgnoreCase(System.getProperty("tiller.simd", "true"));
    }

    private Kernels() {}

    /** Whether module jdk.incubator.vector is in the boot layer, so its classes can load. */
    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    /**
     * Does nothing once this class has loaded: calling it runs the check above, so an entry class (Tensor) calls
     * it from its static initialiser to fail with the flag's name before any kernel class loads.
     */
    public static void requireVectorApi() {
        // the check is in the static initialiser, which the call triggers
    }
}
