package dev.tiller.policy.probe;

import dev.tiller.autograd.ActivationObserver;
import dev.tiller.autograd.GradMode;
import dev.tiller.autograd.Variable;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.Optimizer;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.UpdateStats;
import dev.tiller.policy.regime.ProbePlan;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.ModuleState;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Philox;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The measured signals of {@link Signals} at the intervals of a {@link ProbePlan}, each probe's time kept by name
 * ({@link #LAYER_NORMS}, {@link #UPDATE_RATIO}, ...). What each one does and what it restores:
 * <ul>
 * <li>layer_norms (after backward): "grad_norm/NAME", the L2 norm of each parameter tensor's gradient.</li>
 * <li>update_ratio: "update_ratio/NAME" = RMS(update) / RMS(weight before it) per tensor, from sums the optimizer's
 * fused pass adds ({@link #updateStats}); tensors whose weight is all zero have no ratio. "update_ratio" is the
 * largest over matrices (rank >= 2) when there are any, since a bias near zero has a large ratio that says nothing
 * about the step size. Measured in the update of a due step, they are collected with the next step's signals (the
 * regime decides before the update it would measure).</li>
 * <li>noise: gns_g2, gns_trace and gns_batch (samples per micro-batch) by {@link NoiseScale}. With k >= 2
 * micro-batches, from the k micro-batch gradients (one buffer holds the running sum before each) against their mean;
 * with one, from the step's gradient and a fresh probe-stream batch's gradient, computed into side buffers.</li>
 * <li>hessian (after backward): "hessian_top", by {@link PowerIteration} over finite-difference Hessian-vector
 * products (grad L(theta + e v) - grad L(theta - e v)) / 2e, e = 1e-3 |theta|, on probe-stream batch 0 (fixed, so
 * the value moves with the weights only), from a start vector keyed by the step. Under Adam or AdamW (the trainer
 * passes the optimizer) it is the preconditioned sharpness lambda_max(P^-1 H), the quantity Adam's stability bound
 * is about, and "hessian_preconditioned" is 1; otherwise lambda_max(H) and 0.</li>
 * <li>saturation: dead_relu, saturation, attn_entropy of the step's own forwards, by an {@link ActivationTally}
 * installed on the engine from the start of the step to the end of its backward passes.</li>
 * <li>input_stats: input_mean and input_std over the step's micro-batches ({@link Task#lastInputStats}).</li>
 * <li>fresh_loss (before the step): the loss of probe-stream batch step + 1, without gradients.</li>
 * </ul>
 * Every extra forward runs in training mode, as the step's own, and puts back the model's buffers (batch-norm
 * statistics, dropout counters: {@link ModuleState}); extra gradients go to side
 * buffers, leaving the step's gradient tensors (and whether they count, {@link Variable#gradDiscarded}) untouched;
 * the curvature probe moves the weights and puts the saved bits back. So a run trains the same bits with or without
 * probes. Probes are stateless between steps (the start vector and probe batches are functions of the step), so a
 * restored snapshot measures the same values again.
 *
 * <p>Assumes the trainer's contract: micro-batch losses are back-propagated with seeds S/k (gradients of the mean,
 * times a loss scale S that is 1 in float32), so after micro-batch m the gradients hold S/k times the sum of the
 * micro-batch gradients 0..m, and at {@link #afterBackward} they are the step's true gradient (S divided out). The
 * noise probe recovers S from the two (|running sum after the last micro-batch| / |gradient|), so it needs no
 * word of the loss scale.
 */
public final class Probes implements StepProbes {
    public static final String LAYER_NORMS = "layer_norms";
    public static final String UPDATE_RATIO = "update_ratio";
    public static final String NOISE = "noise";
    public static final String HESSIAN = "hessian";
    public static final String SATURATION = "saturation";
    public static final String INPUT_STATS = "input_stats";
    public static final String FRESH_LOSS = "fresh_loss";
    /** Finite-difference step of the Hessian-vector products, relative to the weights' norm. */
    static final double HVP_EPS = 1e-3;
    /** Philox stream of the power iteration's start vector. */
    private static final long HVP_STREAM = 0x4E55;

    private final ProbePlan plan;
    private final Map<String, Long> cost = new LinkedHashMap<>();
    private final TreeMap<String, Double> pending = new TreeMap<>();
    /** The update ratios of the last update, measured after it: they reach the next step's signals. */
    private final TreeMap<String, Double> lastUpdate = new TreeMap<>();
    private ActivationTally tally;
    private GradMode.Scope observing;
    private UpdateStats sink;
    private final double[] input = new double[3];      // count, sum, sum of squares over this step's micro-batches
    private double lastSq;                              // |running sum|^2 after the latest micro-batch
    private int micros;                                 // micro-batches seen this step (noise)
    private double microSq;                             // sum over micro-batches of |running sum difference|^2
    private float[][] before;                           // running gradient sum before the current micro-batch
    private List<Tensor> side;                          // gradient buffers of extra backward passes
    private ModuleState moduleState;                    // the model's buffers and dropout counters
    private Module stateOf;                             // the model moduleState reads
    private ModuleState.Snapshot spare;                 // a restored snapshot whose memory the next one reuses

    private Probes(ProbePlan plan) {
        this.plan = plan;
        for (String name : List.of(LAYER_NORMS, UPDATE_RATIO, NOISE, HESSIAN, SATURATION, INPUT_STATS, FRESH_LOSS)) {
            if (interval(name) > 0) {
                cost.put(name, 0L);
            }
        }
    }

    /** Probes at plan's intervals. */
    public static Probes of(ProbePlan plan) {
        return new Probes(plan);
    }

    private long interval(String probe) {
        return switch (probe) {
            case LAYER_NORMS -> plan.layerNorms();
            case UPDATE_RATIO -> plan.updateRatio();
            case NOISE -> plan.noise();
            case HESSIAN -> plan.hessian();
            case SATURATION -> plan.saturation();
            case INPUT_STATS -> plan.inputStats();
            case FRESH_LOSS -> plan.freshLoss();
            default -> throw new IllegalArgumentException("unknown probe " + probe);
        };
    }

    private boolean due(String probe, long step) {
        return ProbePlan.due(interval(probe), step);
    }

    private void charge(String probe, long t0) {
        cost.merge(probe, System.nanoTime() - t0, Long::sum);
    }

    @Override
    public Map<String, Double> carried() {
        return new TreeMap<>(lastUpdate);
    }

    @Override
    public void carry(Map<String, Double> values) {
        lastUpdate.clear();
        lastUpdate.putAll(values);
    }

    @Override
    public void beforeStep(long step, Task task, List<ParamRef> params) {
        if (observing != null) {             // a step that ended early never reached afterBackward
            observing.close();
            observing = null;
        }
        pending.clear();
        pending.putAll(lastUpdate);
        lastUpdate.clear();
        micros = 0;
        microSq = 0;
        input[0] = 0;
        input[1] = 0;
        input[2] = 0;
        if (due(FRESH_LOSS, step)) {
            long t0 = System.nanoTime();
            Runnable restore = captureBuffers(task);
            try (GradMode.Scope s = GradMode.noGrad()) {
                task.probeLoss(step, step + 1).ifPresent(l -> pending.put(Signals.FRESH_LOSS,
                        (double) l.value().item()));
            } finally {
                restore.run();
            }
            charge(FRESH_LOSS, t0);
        }
        if (due(SATURATION, step)) {
            tally = new ActivationTally();
            observing = ActivationObserver.observe(tally);
        }
    }

    @Override
    public void afterMicroBatch(long step, int micro, Task task, List<ParamRef> params) {
        micros = micro + 1;
        if (due(INPUT_STATS, step)) {
            long t0 = System.nanoTime();
            task.lastInputStats().ifPresent(m -> {
                input[0] += m[0];
                input[1] += m[0] * m[1];
                input[2] += m[0] * (m[2] + m[1] * m[1]);
            });
            charge(INPUT_STATS, t0);
        }
        if (due(NOISE, step)) {
            long t0 = System.nanoTime();
            if (before == null) {
                before = buffers(params);
            }
            double run = 0;
            for (int i = 0; i < params.size(); i++) {
                ParamRef p = params.get(i);
                float[] b = before[i];
                boolean none = discarded(p);
                MemorySegment seg = p.grad().segment();
                long off = p.grad().offset();
                double s = 0;
                double r = 0;
                for (int j = 0; j < b.length; j++) {
                    float g = none ? 0f : seg.getAtIndex(ValueLayout.JAVA_FLOAT, off + j);
                    double d = micro == 0 ? g : (double) g - b[j];
                    s += d * d;
                    r += (double) g * g;
                    b[j] = g;
                }
                microSq += s;
                run += r;
            }
            lastSq = run;
            charge(NOISE, t0);
        }
    }

    @Override
    public void afterBackward(long step, Task task, List<ParamRef> params) {
        afterBackward(step, task, params, null, null);
    }

    @Override
    public void afterBackward(long step, Task task, List<ParamRef> params, Optimizer<?> optimizer, Record hyper) {
        if (observing != null) {
            long t0 = System.nanoTime();
            observing.close();
            observing = null;
            put(Signals.DEAD_RELU, tally.deadRelu());
            put(Signals.SATURATION, tally.saturation());
            put(Signals.ATTN_ENTROPY, tally.attentionEntropy());
            cost.merge(SATURATION, tally.nanos() + System.nanoTime() - t0, Long::sum);
            tally = null;
        }
        if (due(INPUT_STATS, step) && input[0] > 0) {
            double mean = input[1] / input[0];
            pending.put(Signals.INPUT_MEAN, mean);
            pending.put(Signals.INPUT_STD, Math.sqrt(Math.max(0, input[2] / input[0] - mean * mean)));
        }
        if (due(LAYER_NORMS, step)) {
            long t0 = System.nanoTime();
            for (ParamRef p : params) {
                pending.put(Signals.LAYER_GRAD_NORM + p.name(), Math.sqrt(squares(p)));
            }
            charge(LAYER_NORMS, t0);
        }
        if (due(NOISE, step) && micros > 0) {
            long t0 = System.nanoTime();
            noise(step, task, params);
            charge(NOISE, t0);
        }
        if (due(HESSIAN, step)) {
            long t0 = System.nanoTime();
            hessian(step, task, params, optimizer, hyper);
            charge(HESSIAN, t0);
        }
    }

    @Override
    public UpdateStats updateStats(long step) {
        if (!due(UPDATE_RATIO, step)) {
            return null;
        }
        sink = new UpdateStats();
        return sink;
    }

    @Override
    public void afterUpdate(long step, boolean applied, List<ParamRef> params) {
        if (sink == null) {
            return;
        }
        long t0 = System.nanoTime();
        UpdateStats s = sink;
        sink = null;
        s.close();
        if (applied && !s.isEmpty()) {
            Map<String, Integer> rank = new LinkedHashMap<>();
            params.forEach(p -> rank.put(p.name(), p.value().rank()));
            double maxAll = Double.NEGATIVE_INFINITY;
            double maxMatrix = Double.NEGATIVE_INFINITY;
            for (Map.Entry<String, UpdateStats.Entry> e : s.entries().entrySet()) {
                if (e.getValue().weightSquares() == 0) {
                    continue;
                }
                double r = e.getValue().rmsRatio();
                lastUpdate.put(Signals.LAYER_UPDATE_RATIO + e.getKey(), r);
                maxAll = Math.max(maxAll, r);
                if (rank.getOrDefault(e.getKey(), 0) >= 2) {
                    maxMatrix = Math.max(maxMatrix, r);
                }
            }
            double max = maxMatrix > Double.NEGATIVE_INFINITY ? maxMatrix : maxAll;
            if (max > Double.NEGATIVE_INFINITY) {
                lastUpdate.put(Signals.UPDATE_RATIO, max);
            }
        }
        cost.merge(UPDATE_RATIO, s.nanos() + System.nanoTime() - t0, Long::sum);
    }

    @Override
    public Signals collect(long step) {
        Signals out = pending.isEmpty() ? Signals.empty() : Signals.of(pending);
        pending.clear();
        return out;
    }

    @Override
    public Map<String, Long> costNanos() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(cost));
    }

    private void put(String name, double v) {
        if (!Double.isNaN(v)) {
            pending.put(name, v);
        }
    }

    // ---------------------------------------------------------------- noise scale

    private void noise(long step, Task task, List<ParamRef> params) {
        double b = task.itemsPerMicroBatch();
        double bigSq = 0;
        for (ParamRef p : params) {
            bigSq += squares(p);              // the mean of the micro-batch gradients: the step's gradient
        }
        NoiseScale.Estimate e;
        if (micros >= 2) {
            // micro-batch gradient m is k / S times the m-th difference of running sums, so the mean of their
            // squares is k microSq / S^2, where S^2 = |last running sum|^2 / |gradient|^2 (1 without loss scaling)
            double s2 = bigSq > 0 ? lastSq / bigSq : 1;
            e = NoiseScale.estimate(micros * microSq / s2, b, bigSq, micros * b);
        } else {
            float[][] fresh = buffers(params);
            if (!sideGradient(task, params, () -> task.probeLoss(step, step + 1), fresh)) {
                return;
            }
            double freshSq = 0;
            double meanSq = 0;
            for (int i = 0; i < params.size(); i++) {
                ParamRef p = params.get(i);
                boolean none = discarded(p);
                MemorySegment seg = p.grad().segment();
                long off = p.grad().offset();
                float[] f = fresh[i];
                for (int j = 0; j < f.length; j++) {
                    double g = none ? 0 : seg.getAtIndex(ValueLayout.JAVA_FLOAT, off + j);
                    freshSq += (double) f[j] * f[j];
                    double m = 0.5 * (g + f[j]);
                    meanSq += m * m;
                }
            }
            e = NoiseScale.estimate(0.5 * (bigSq + freshSq), b, meanSq, 2 * b);
        }
        pending.put(Signals.GNS_G2, e.g2());
        pending.put(Signals.GNS_TRACE, e.trace());
        pending.put(Signals.GNS_BATCH, b);
    }

    // ---------------------------------------------------------------- curvature

    /**
     * hessian_top and hessian_preconditioned. For Adam and AdamW (optimizer and hyper given): the top eigenvalue of
     * the symmetric D H D, D = P^(-1/2) ({@link AdamPreconditioner}), which has the eigenvalues of P^-1 H; each product
     * is D (H u) |D v| for u = D v / |D v|, so the finite-difference step along u keeps its size. Nothing before
     * Adam's first update (no preconditioner yet). Otherwise the top eigenvalue of H.
     */
    private void hessian(long step, Task task, List<ParamRef> params, Optimizer<?> optimizer, Record hyper) {
        for (ParamRef p : params) {
            if (p.source() == null) {
                return;
            }
        }
        float[][] d = null;
        if (optimizer != null && hyper != null && AdamPreconditioner.adamFamily(optimizer, hyper)) {
            d = AdamPreconditioner.inverseSqrt(optimizer, hyper, params).orElse(null);
            if (d == null) {
                return;
            }
        }
        float[][] scale = d;
        float[][] theta = buffers(params);
        for (int i = 0; i < params.size(); i++) {
            read(params.get(i).value(), theta[i]);
        }
        double e = HVP_EPS * Math.max(PowerIteration.norm(theta), 1e-3);
        float[][] start = buffers(params);
        long k = 0;
        for (float[] s : start) {
            for (int j = 0; j < s.length; j++) {
                s[j] = Philox.normal(step, HVP_STREAM, k++);
            }
        }
        float[][] plus = buffers(params);
        float[][] minus = buffers(params);
        boolean[] ok = {true};
        try {
            float[][] u = scale == null ? null : buffers(params);
            double top = PowerIteration.top((v, out) -> {
                if (!ok[0]) {
                    return;
                }
                float[][] dir = v;
                double n = 1;
                if (scale != null) {
                    n = precondition(scale, v, u);
                    if (n == 0) {
                        for (float[] o : out) {
                            Arrays.fill(o, 0f);
                        }
                        return;
                    }
                    dir = u;
                }
                moveTo(params, theta, dir, e);
                ok[0] &= sideGradient(task, params, () -> task.probeLoss(step, 0), plus);
                moveTo(params, theta, dir, -e);
                ok[0] &= sideGradient(task, params, () -> task.probeLoss(step, 0), minus);
                for (int i = 0; i < out.length; i++) {
                    float[] di = scale == null ? null : scale[i];
                    for (int j = 0; j < out[i].length; j++) {
                        double hv = ((double) plus[i][j] - minus[i][j]) / (2 * e);
                        out[i][j] = (float) (di == null ? hv : di[j] * hv * n);
                    }
                }
            }, start, plan.hessianIterations());
            if (ok[0]) {
                pending.put(Signals.HESSIAN_TOP, top);
                pending.put(Signals.HESSIAN_PRECONDITIONED, scale == null ? 0.0 : 1.0);
            }
        } finally {
            for (int i = 0; i < params.size(); i++) {
                write(theta[i], params.get(i).value());      // the saved bits, not theta + e v - e v
            }
        }
    }

    /** u = d v / |d v| elementwise per tensor; returns |d v| (0 leaves u unspecified). */
    static double precondition(float[][] d, float[][] v, float[][] u) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < v[i].length; j++) {
                double x = (double) d[i][j] * v[i][j];
                s += x * x;
            }
        }
        double n = Math.sqrt(s);
        if (n == 0) {
            return 0;
        }
        for (int i = 0; i < v.length; i++) {
            for (int j = 0; j < v[i].length; j++) {
                u[i][j] = (float) ((double) d[i][j] * v[i][j] / n);
            }
        }
        return n;
    }

    /** Writes theta + step v into the weights (float32 rounding of each element). */
    private static void moveTo(List<ParamRef> params, float[][] theta, float[][] v, double step) {
        for (int i = 0; i < params.size(); i++) {
            float[] t = theta[i];
            float[] d = v[i];
            Tensor w = params.get(i).value();
            MemorySegment seg = w.segment();
            long off = w.offset();
            for (int j = 0; j < t.length; j++) {
                seg.setAtIndex(ValueLayout.JAVA_FLOAT, off + j, (float) (t[j] + step * d[j]));
            }
        }
    }

    // ---------------------------------------------------------------- extra gradients

    /**
     * The gradient of loss (built in training mode) into out, through side buffers: the parameters' own gradient
     * tensors, whether they count, and the model's buffers are as before. False (out unspecified) when the task has
     * no probe stream or a parameter has no Variable behind it.
     */
    private boolean sideGradient(Task task, List<ParamRef> params, Supplier<Optional<Variable>> loss, float[][] out) {
        for (ParamRef p : params) {
            if (p.source() == null) {
                return false;
            }
        }
        if (side == null) {
            side = new ArrayList<>();
            for (ParamRef p : params) {
                side.add(Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape()));   // outlives any scope
            }
        }
        boolean[] discarded = new boolean[params.size()];
        Runnable restore = captureBuffers(task);
        boolean present = false;
        try {
            for (int i = 0; i < params.size(); i++) {
                Variable v = params.get(i).source();
                discarded[i] = v.gradDiscarded();
                side.get(i).fill(0f);
                v.useGradBuffer(side.get(i));
            }
            try (GradMode.Scope s = GradMode.enableGrad()) {
                Optional<Variable> l = loss.get();
                if (l.isPresent()) {
                    l.get().backward();
                    present = true;
                }
            }
            if (present) {
                for (int i = 0; i < params.size(); i++) {
                    read(side.get(i), out[i]);
                }
            }
        } finally {
            for (int i = 0; i < params.size(); i++) {
                ParamRef p = params.get(i);
                p.source().useGradBuffer(p.grad());
                if (discarded[i]) {
                    p.source().discardGrad();
                }
            }
            restore.run();
        }
        return present;
    }

    // ---------------------------------------------------------------- helpers

    /** Saves the model's buffers and dropout counters; running the result puts them back bitwise. */
    private Runnable captureBuffers(Task task) {
        if (moduleState == null || stateOf != task.model()) {
            moduleState = new ModuleState(task.model());
            stateOf = task.model();
            spare = null;
        }
        ModuleState.Snapshot saved = moduleState.snapshotInto(spare);
        spare = null;
        return () -> {
            moduleState.restore(saved);
            spare = saved;                    // its copies serve the next capture
        };
    }

    /** True when p's gradient tensor does not count this step (no backward reached it since it was cleared). */
    private static boolean discarded(ParamRef p) {
        return p.source() != null && p.source().gradDiscarded();     // never grad(): that would settle it
    }

    /** Sum of squares of p's gradient (0 when it does not count). */
    private static double squares(ParamRef p) {
        if (discarded(p)) {
            return 0;
        }
        MemorySegment seg = p.grad().segment();
        long off = p.grad().offset();
        long n = p.numel();
        double s = 0;
        for (long j = 0; j < n; j++) {
            double g = seg.getAtIndex(ValueLayout.JAVA_FLOAT, off + j);
            s += g * g;
        }
        return s;
    }

    private static float[][] buffers(List<ParamRef> params) {
        float[][] out = new float[params.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new float[Math.toIntExact(params.get(i).numel())];
        }
        return out;
    }

    private static void read(Tensor t, float[] out) {
        MemorySegment.copy(t.segment(), ValueLayout.JAVA_FLOAT, t.offset() * Float.BYTES, out, 0, out.length);
    }

    private static void write(float[] in, Tensor t) {
        MemorySegment.copy(in, 0, t.segment(), ValueLayout.JAVA_FLOAT, t.offset() * Float.BYTES, in.length);
    }
}
