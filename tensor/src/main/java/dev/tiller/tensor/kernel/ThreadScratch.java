package dev.tiller.tensor.kernel;

/**
 * A float[] per thread that grows to the largest size asked of it and is kept for that thread's next call: the
 * packing and padding buffers of the GEMM and conv kernels, so a warm training step allocates none of them.
 * Contents are not cleared between calls; callers write what they read.
 */
final class ThreadScratch {
    private final ThreadLocal<float[]> local = ThreadLocal.withInitial(() -> new float[0]);

    /** The calling thread's buffer, at least size floats long. */
    float[] get(int size) {
        float[] a = local.get();
        if (a.length < size) {
            a = new float[size];
            local.set(a);
        }
        return a;
    }
}
