package dev.tiller.autograd;

/**
 * Whether ops record a graph on this thread. Inside {@code try (GradMode.Scope s = GradMode.noGrad()) {...}} ops
 * compute values only: no nodes, no saved tensors (evaluation, optimizer updates, EMA of weights).
 */
public final class GradMode {
    private static final ThreadLocal<boolean[]> ENABLED = ThreadLocal.withInitial(() -> new boolean[] {true});

    private GradMode() {}

    /** True when ops record the graph on this thread (the default). */
    public static boolean isEnabled() {
        return ENABLED.get()[0];
    }

    /** Turns recording off until the returned scope closes; restores the previous mode. */
    public static Scope noGrad() {
        boolean[] flag = ENABLED.get();
        boolean before = flag[0];
        flag[0] = false;
        return () -> flag[0] = before;
    }

    /** Turns recording on until the returned scope closes. */
    public static Scope enableGrad() {
        boolean[] flag = ENABLED.get();
        boolean before = flag[0];
        flag[0] = true;
        return () -> flag[0] = before;
    }

    /** Restores the previous mode on close. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }
}
