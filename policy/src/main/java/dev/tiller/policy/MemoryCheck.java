package dev.tiller.policy;

import com.sun.management.OperatingSystemMXBean;
import dev.tiller.autograd.Variable;
import dev.tiller.optim.ParamRef;
import dev.tiller.policy.state.ModuleState;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.TensorPool;
import dev.tiller.tensor.TensorScope;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Off-heap memory before a run starts: what a training step at the run's batch will take, measured on the task's own
 * model at two small batches (4 and 8 samples, each micro-batch's forward and backward in a private pool) and
 * extrapolated linearly, and what the machine leaves beside the heap. Measuring runs the model, so the model's
 * buffers and dropout counters are put back afterwards and the gradients zeroed: the run's bits do not change.
 */
public final class MemoryCheck {
    private static final int SMALL = 4;
    private static final int LARGE = 8;
    /** Left for the JVM itself (metaspace, code cache, thread stacks) beside heap and tensors. */
    private static final long JVM_MARGIN = 512L << 20;

    private MemoryCheck() {}

    /**
     * Bytes one step of micro micro-batches of batch samples reserves in the step pool, or empty when the task's
     * batch is fixed (the whole graph) or the batch is small enough to need no estimate.
     */
    public static Optional<Long> stepBytes(Task task, int batch, int micro, List<ParamRef> params) {
        if (batch <= LARGE) {
            return Optional.empty();
        }
        Optional<Task> small = task.withBatch(SMALL);
        Optional<Task> large = task.withBatch(LARGE);
        if (small.isEmpty() || large.isEmpty()) {
            return Optional.empty();
        }
        ModuleState state = new ModuleState(task.model());
        try (ModuleState.Snapshot before = state.snapshot()) {
            long a = measure(small.get(), micro, params);
            long b = measure(large.get(), micro, params);
            state.restore(before);
            double perSample = Math.max(0, (b - a) / (double) (LARGE - SMALL));
            return Optional.of((long) Math.ceil(b + perSample * (batch - LARGE)));
        } finally {
            for (ParamRef p : params) {
                p.clearGrad();
            }
        }
    }

    private static long measure(Task t, int micro, List<ParamRef> params) {
        try (TensorPool pool = new TensorPool(); TensorScope scope = TensorScope.open(pool)) {
            for (ParamRef p : params) {
                p.clearGrad();
            }
            for (int m = 0; m < micro; m++) {
                Variable loss = t.trainLoss(0, m);
                loss.backward(Tensor.full(1f / micro));
            }
            return pool.reservedBytes();
        }
    }

    /** Bytes of memory the machine (or its container) has beyond the heap's maximum and the JVM's own needs. */
    public static long available() {
        long total = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        return Math.max(0, total - Runtime.getRuntime().maxMemory() - JVM_MARGIN);
    }

    /** Gigabytes with one decimal. */
    public static String gb(long bytes) {
        return String.format(Locale.ROOT, "%.1f GB", bytes / 1e9);
    }
}
