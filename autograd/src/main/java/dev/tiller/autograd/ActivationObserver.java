package dev.tiller.autograd;

import dev.tiller.tensor.Tensor;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches activations as ops run forward, for saturation and attention signals: while one is installed on this
 * thread ({@link #observe}), the engine shows it the input and output of every activation op and the probabilities
 * of every fused attention op, after the forward and before anything else reads them. With none installed the engine
 * pays one thread-local read per op. An observer only reads: it must not write or keep the tensors it is shown.
 */
public interface ActivationObserver {
    /** An activation ran: kind is "relu", "gelu", "tanh", "sigmoid" or "silu"; input and output share a shape. */
    void activation(String kind, Tensor input, Tensor output);

    /** A fused causal attention ran: probs (B, H, T, T), row i spreading over keys 0..i (zeros above the diagonal). */
    void attention(Tensor probs);

    /** Installs observer on this thread until the returned scope closes (then the previous one is back). */
    static GradMode.Scope observe(ActivationObserver observer) {
        ActivationObserver[] slot = Watch.CURRENT.get();
        ActivationObserver before = slot[0];
        slot[0] = observer;
        Watch.INSTALLED.incrementAndGet();
        return () -> {
            slot[0] = before;
            Watch.INSTALLED.decrementAndGet();
        };
    }

    /** The engine's side: where the installed observer lives and how an op's forward is shown to it. */
    final class Watch {
        static final ThreadLocal<ActivationObserver[]> CURRENT =
                ThreadLocal.withInitial(() -> new ActivationObserver[1]);
        /** Open observe scopes on all threads: while 0 the engine skips the thread-local read. */
        static final AtomicInteger INSTALLED = new AtomicInteger();

        private Watch() {}

        /** The observer installed on this thread, or null (one static read when none is installed anywhere). */
        static ActivationObserver current() {
            return INSTALLED.get() == 0 ? null : CURRENT.get()[0];
        }

        /** Shows op's forward (inputs in, output out, saved values) to observer when op is one it watches. */
        static void forward(ActivationObserver observer, Op op, Tensor out, Tensor[] in, Saved saved) {
            switch (op) {
                case ElementwiseOps.Pointwise p -> {
                    String kind = switch (p.fn()) {
                        case RELU -> "relu";
                        case GELU, GELU_TANH -> "gelu";
                        case TANH -> "tanh";
                        case SIGMOID -> "sigmoid";
                        case SILU -> "silu";
                        default -> null;
                    };
                    if (kind != null) {
                        observer.activation(kind, in[0], out);
                    }
                }
                case LossOps.CausalSelfAttention a -> observer.attention(saved.tensor(1));
                case LossOps.CausalAttention a -> observer.attention(saved.tensor(3));
                default -> { }
            }
        }
    }
}
