package dev.tiller.models.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * A data stream whose domain changes at known steps, for distribution-shift work: phase p supplies the data of steps
 * [start(p), start(p + 1)); phase 0 starts at step 0 and the last phase runs forever. Which phase a step belongs to is
 * a pure function of the step, so a restored run lands in the right phase with no carried state, and the shift steps
 * can be asked for up front (a shift detector is scored against them).
 * <p>
 * Batches are drawn by the consumer (ImageTask, GptTask) from the active phase, keyed by
 * ({@link #phaseSeed}(seed, p), {@link #stepInPhase}(step)): each phase is its own reproducible sub-stream that
 * starts afresh at its first step, and phase 0 draws exactly what the unshifted data would.
 * <p>
 * Factories: {@link #classSubsets} (images restricted to class sets, e.g. Fashion-MNIST {0..4} then {5..9}) and
 * {@link #jdkModules} (the .java sources under one src.zip folder, then another).
 *
 * @param <D> what one phase holds: an {@link ImagePhase} or a {@link TextCorpus}
 */
public final class ShiftingStream<D> {
    /** Training and held-out images restricted to one phase's classes. */
    public record ImagePhase(int[] classes, ImageDataset train, ImageDataset val) {}

    private final String name;
    private final List<D> phases;
    private final long[] starts;                            // (P) starts[0] = 0, then the shift steps
    private final List<Map<String, Object>> facts;          // (P) what each phase holds, for config.json and events

    private ShiftingStream(String name, List<D> phases, long[] starts, List<Map<String, Object>> facts) {
        this.name = name;
        this.phases = phases;
        this.starts = starts;
        this.facts = facts;
    }

    /**
     * P phases and the P - 1 steps at which phase p (p >= 1) takes over; shift steps must be >= 0 and increasing.
     * describe gives each phase's facts for config.json and the phase-change event (classes, module, sizes).
     */
    public static <D> ShiftingStream<D> of(String name, List<D> phases, Function<D, Map<String, Object>> describe,
                                           long... shiftSteps) {
        if (phases.isEmpty()) {
            throw new IllegalArgumentException("shifting stream " + name + ": needs at least one phase");
        }
        if (shiftSteps.length != phases.size() - 1) {
            throw new IllegalArgumentException("shifting stream " + name + ": " + phases.size() + " phases need "
                    + (phases.size() - 1) + " shift steps, got " + shiftSteps.length + " "
                    + Arrays.toString(shiftSteps));
        }
        long[] starts = new long[phases.size()];
        for (int p = 1; p < starts.length; p++) {
            long s = shiftSteps[p - 1];
            if (s < 0) {
                throw new IllegalArgumentException("shifting stream " + name + ": shift step " + s + " (phase " + p
                        + ") is negative; steps count from 0");
            }
            if (p > 1 && s <= starts[p - 1]) {
                throw new IllegalArgumentException("shifting stream " + name + ": shift steps must increase, got " + s
                        + " (phase " + p + ") after " + starts[p - 1] + " (phase " + (p - 1) + ")");
            }
            starts[p] = s;
        }
        List<Map<String, Object>> facts = new ArrayList<>();
        for (int p = 0; p < starts.length; p++) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("phase", p);
            m.put("from_step", starts[p]);
            m.putAll(describe.apply(phases.get(p)));
            facts.add(Collections.unmodifiableMap(m));
        }
        return new ShiftingStream<>(name, List.copyOf(phases), starts, List.copyOf(facts));
    }

    /** A stream that never shifts: one phase from step 0 on. */
    public static <D> ShiftingStream<D> single(String name, D data) {
        return of(name, List.of(data), d -> Map.of());
    }

    /**
     * Images whose class set changes: phase p trains on the examples of train whose label is in classes.get(p) and
     * validates on those of val (the held-out split) with the same labels. The model keeps all train.classes()
     * outputs. Example: Fashion-MNIST with classes {0..4} then {5..9} from step 1000:
     * {@code classSubsets("fashion-mnist-shift", train, val, List.of(new int[] {0, 1, 2, 3, 4},
     * new int[] {5, 6, 7, 8, 9}), 1000)}.
     */
    public static ShiftingStream<ImagePhase> classSubsets(String name, ImageDataset train, ImageDataset val,
                                                          List<int[]> classes, long... shiftSteps) {
        if (train.classes() != val.classes()) {
            throw new IllegalArgumentException("shifting stream " + name + ": train has " + train.classes()
                    + " classes but val has " + val.classes());
        }
        List<ImagePhase> phases = new ArrayList<>();
        for (int p = 0; p < classes.size(); p++) {
            int[] c = classes.get(p);
            String where = "shifting stream " + name + ", phase " + p + ": ";
            if (c.length == 0) {
                throw new IllegalArgumentException(where + "the class set is empty; give at least one class in 0.."
                        + (train.classes() - 1));
            }
            for (int i = 0; i < c.length; i++) {
                if (c[i] < 0 || c[i] >= train.classes()) {
                    throw new IllegalArgumentException(where + "unknown class " + c[i] + "; " + train.name()
                            + " has classes 0.." + (train.classes() - 1));
                }
                for (int j = 0; j < i; j++) {
                    if (c[j] == c[i]) {
                        throw new IllegalArgumentException(where + "class " + c[i] + " is listed twice in "
                                + Arrays.toString(c));
                    }
                }
            }
            ImagePhase ph = new ImagePhase(c.clone(), train.withClasses(c), val.withClasses(c));
            if (ph.train().size() == 0 || ph.val().size() == 0) {
                throw new IllegalArgumentException(where + "classes " + Arrays.toString(c) + " have "
                        + ph.train().size() + " training and " + ph.val().size() + " validation examples; both must"
                        + " be > 0");
            }
            phases.add(ph);
        }
        return of(name, phases, ph -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("classes", ph.classes());
            m.put("train_examples", ph.train().size());
            m.put("val_examples", ph.val().size());
            return m;
        }, shiftSteps);
    }

    /**
     * Text whose source changes: phase p is the .java files under prefixes.get(p) of the running JDK's lib/src.zip
     * (a module or a package folder: "java.base/java/util/", "java.sql/"; a missing trailing '/' is added), split
     * into training and validation as {@link TextCorpus#jdkModule}. Each phase's corpus is named by its prefix.
     */
    public static ShiftingStream<TextCorpus> jdkModules(String name, List<String> prefixes, long... shiftSteps) {
        List<TextCorpus> phases = new ArrayList<>();
        for (int p = 0; p < prefixes.size(); p++) {
            String prefix = prefixes.get(p).endsWith("/") ? prefixes.get(p) : prefixes.get(p) + "/";
            if (prefix.equals("/")) {
                throw new IllegalArgumentException("shifting stream " + name + ", phase " + p + ": empty module"
                        + " prefix; give a src.zip folder such as java.base/java/util/ or java.sql/");
            }
            try {
                phases.add(TextCorpus.jdkModule(prefix, prefix));
            } catch (IllegalStateException e) {
                throw new IllegalStateException("shifting stream " + name + ", phase " + p + " (" + prefix + "): "
                        + e.getMessage() + "; prefixes are src.zip folders such as java.base/java/util/ or java.sql/",
                        e);
            }
        }
        return of(name, phases, c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("module", c.name());
            m.put("files", c.files());
            m.put("train_bytes", c.train().length);
            m.put("val_bytes", c.validation().length);
            return m;
        }, shiftSteps);
    }

    /** The seed phase p's batches are keyed by: seed itself for phase 0, a distinct mix of it for later phases. */
    public static long phaseSeed(long seed, int phase) {
        return seed ^ (0x9E3779B97F4A7C15L * phase);       // golden-ratio multiple: distinct for every phase >= 1
    }

    public String name() {
        return name;
    }

    /** The number of phases P (1 for a stream that never shifts). */
    public int phases() {
        return phases.size();
    }

    /** What phase p holds. */
    public D phase(int p) {
        return phases.get(p);
    }

    /** The first step of phase p (0 for phase 0). */
    public long start(int p) {
        return starts[p];
    }

    /** The steps at which phases 1..P-1 take over (empty for a stream that never shifts). */
    public long[] shiftSteps() {
        return Arrays.copyOfRange(starts, 1, starts.length);
    }

    /** The phase active at step (>= 0): the last p with start(p) <= step. */
    public int phaseAt(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("shifting stream " + name + ": step " + step + " is negative");
        }
        int p = starts.length - 1;
        while (starts[p] > step) {
            p--;
        }
        return p;
    }

    /** What the phase active at step holds. */
    public D at(long step) {
        return phases.get(phaseAt(step));
    }

    /** Steps since the active phase began: step - start(phaseAt(step)). */
    public long stepInPhase(long step) {
        return step - starts[phaseAt(step)];
    }

    /** Phase p's facts: phase, from_step and what the factory describes (classes or module, sizes). */
    public Map<String, Object> describe(int p) {
        return facts.get(p);
    }

    /** Every phase's facts, in order, for config.json. */
    public List<Map<String, Object>> describe() {
        return facts;
    }
}
