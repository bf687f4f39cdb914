package dev.tiller.policy.regime;

import dev.tiller.policy.regime.RegimeSpec.ArbiterSpec;
import dev.tiller.policy.regime.RegimeSpec.RecoverySpec;
import dev.tiller.policy.regime.RegimeSpec.RingSpec;
import dev.tiller.policy.regime.RegimeSpec.TrialSpec;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Adversarial inputs for regime tests, all derived from one seed: a regime spec with random limits, signal sequences
 * (spikes, NaN and infinities, oscillation, constants, step changes, missing values) and pure controllers that
 * propose random targets, rollbacks, skips and trials.
 */
final class Adversary {
    private Adversary() {}

    /** Random but valid knob limits, guards, ring and recovery rules. */
    static RegimeSpec spec(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Knob, KnobSpec> knobs = new EnumMap<>(Knob.class);
        for (Knob k : Knob.values()) {
            if (k == Knob.ANCHOR) {
                double max = 0.001 + r.nextDouble() * 0.05;
                knobs.put(k, new KnobSpec(k, 0, max, 0, max * (0.05 + r.nextDouble()), r.nextInt(0, 20)));
            } else {
                double min = StrictMath.exp(-r.nextDouble() * 3);
                double max = StrictMath.exp(r.nextDouble() * 3);
                knobs.put(k, new KnobSpec(k, min, max, 1, 0.005 + r.nextDouble() * 0.5, r.nextInt(0, 20)));
            }
        }
        return new RegimeSpec("adversary", knobs, ProbePlan.none(), List.of(),
                new ArbiterSpec(r.nextInt(1, 60), r.nextInt(1, 4), r.nextBoolean() ? 0 : r.nextDouble() * 0.05),
                new RingSpec(r.nextInt(1, 12), r.nextInt(0, 6), r.nextInt(0, 15)),
                new RecoverySpec(0.1 + 0.9 * r.nextDouble(), r.nextInt(0, 40), r.nextInt(0, 40)),
                new TrialSpec(r.nextInt(2, 30), r.nextBoolean() ? 0 : r.nextDouble() * 0.1), Map.of(),
                r.nextBoolean() ? RegimeSpec.CalibrationSpec.off()
                        : new RegimeSpec.CalibrationSpec(0.01 + 0.9 * r.nextDouble(), 0.001 + 0.5 * r.nextDouble(),
                                r.nextInt(1, 30), 1.1 + 4 * r.nextDouble(), r.nextInt(1, 4),
                                r.nextBoolean() ? 0 : r.nextDouble() * 0.2));
    }

    /** Per-step measurements: segments of one pattern each, the patterns a regime must survive. */
    static List<Signals> signals(long seed, int steps) {
        SplittableRandom r = new SplittableRandom(seed ^ 0x5DEECE66DL);
        List<Signals> out = new ArrayList<>();
        double level = 1 + r.nextDouble() * 5;
        while (out.size() < steps) {
            int pattern = r.nextInt(7);
            int len = r.nextInt(1, 40);
            for (int i = 0; i < len && out.size() < steps; i++) {
                double loss;
                double grad;
                switch (pattern) {
                    case 0 -> {                                       // constant
                        loss = level;
                        grad = 1;
                    }
                    case 1 -> {                                       // a spike now and then
                        loss = level * (r.nextInt(8) == 0 ? 10 + 100 * r.nextDouble() : 1);
                        grad = loss / level * (1 + r.nextDouble());
                    }
                    case 2 -> {                                       // non-finite values
                        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, level};
                        loss = bad[r.nextInt(bad.length)];
                        grad = bad[r.nextInt(bad.length)];
                    }
                    case 3 -> {                                       // oscillation
                        loss = level * (i % 2 == 0 ? 1.5 : 0.5);
                        grad = i % 2 == 0 ? 3 : 0.1;
                    }
                    case 4 -> {                                       // a step change
                        if (i == 0) {
                            level *= StrictMath.exp(r.nextDouble() * 4 - 2);
                        }
                        loss = level;
                        grad = 1 + r.nextDouble();
                    }
                    case 5 -> {                                       // slow descent with noise
                        level *= 0.995;
                        loss = level * (1 + 0.05 * r.nextGaussian());
                        grad = 0.5 + r.nextDouble();
                    }
                    default -> {                                      // extremes and missing values
                        loss = r.nextBoolean() ? Double.MAX_VALUE : Double.MIN_VALUE;
                        grad = r.nextBoolean() ? 0 : -1;
                    }
                }
                Map<String, Double> m = new TreeMap<>();
                if (!(pattern == 6 && r.nextBoolean())) {
                    m.put(Signals.LOSS, loss);
                }
                m.put(Signals.GRAD_NORM, grad);
                m.put(Signals.FINITE, Double.isFinite(loss) && Double.isFinite(grad) ? 1.0 : 0.0);
                if (r.nextInt(20) == 0) {
                    m.put(Signals.VAL_LOSS, r.nextInt(4) == 0 ? Double.NaN : loss * 1.1);
                }
                if (r.nextInt(50) == 0) {                        // a calibration's branches, some not finite
                    for (int e = -r.nextInt(3); e <= r.nextInt(3); e++) {
                        double[] v = {loss * (0.5 + r.nextDouble()), Double.NaN, Double.POSITIVE_INFINITY, level};
                        m.put(Signals.LR_BRANCH + e, v[r.nextInt(v.length)]);
                    }
                }
                out.add(Signals.of(m));
            }
        }
        return out;
    }

    /** A controller that proposes random changes, rollbacks, skips and trials from its seed and the step alone. */
    record Random(String name, long seed) implements Controller<Long> {
        @Override
        public Long initial() {
            return 0L;
        }

        @Override
        public Output<Long> decide(long step, Signals signals, Knobs knobs, Long state) {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + step);
            List<Proposal> ps = new ArrayList<>();
            int n = r.nextInt(4) == 0 ? r.nextInt(1, 4) : 0;
            for (int i = 0; i < n; i++) {
                int what = r.nextInt(40);
                if (what == 0) {
                    ps.add(Proposal.rollback(name, "random rollback", Map.of("draw", (double) what)));
                } else if (what == 1) {
                    ps.add(Proposal.skip(name, "random skip", Map.of()));
                } else {
                    Knob k = Knob.values()[r.nextInt(Knob.values().length)];
                    double now = knobs.get(k);
                    double target = k == Knob.ANCHOR ? now + (r.nextDouble() - 0.4) * 0.02
                            : now * StrictMath.exp((r.nextDouble() - 0.5) * 3);
                    if (r.nextInt(30) == 0) {
                        target = new double[] {Double.NaN, Double.POSITIVE_INFINITY, 0, -1}[r.nextInt(4)];
                    }
                    long trial = r.nextInt(5) == 0 ? r.nextInt(1, 25) : 0;
                    ps.add(new Proposal(name, Proposal.Action.SET, k, target, r.nextInt(3), trial,
                            "random move of " + k.key(), Map.of("target", target)));
                }
            }
            return new Output<>(state + ps.size(), ps);
        }
    }

    /** Asks for a rollback on a non-finite loss or a loss 5x its running mean, a skip on a non-finite gradient. */
    record Spikes(String name) implements Controller<Double> {
        @Override
        public Double initial() {
            return Double.NaN;
        }

        @Override
        public Output<Double> decide(long step, Signals signals, Knobs knobs, Double ema) {
            double loss = signals.get(Signals.LOSS);
            List<Proposal> ps = new ArrayList<>();
            if (signals.has(Signals.LOSS) && (!Double.isFinite(loss) || (Double.isFinite(ema) && loss > 5 * ema))) {
                ps.add(Proposal.rollback(name, "loss " + loss + " against mean " + ema, Map.of("loss", loss)));
            } else if (!Double.isFinite(signals.get(Signals.GRAD_NORM))) {
                ps.add(Proposal.skip(name, "gradient norm not finite", Map.of()));
            }
            double next = !Double.isFinite(loss) ? ema : Double.isFinite(ema) ? 0.9 * ema + 0.1 * loss : loss;
            return new Output<>(next, ps);
        }
    }

    static List<Controller<?>> controllers(long seed) {
        return List.of(new Spikes("spikes"), new Random("a", seed), new Random("b", seed + 1),
                new Random("c", seed + 2));
    }

    /** The decisions of a fresh regime over signals. */
    static List<Decision> run(RegimeSpec spec, List<Controller<?>> controllers, List<Signals> signals) {
        Regime regime = Regime.of(spec, controllers);
        List<Decision> out = new ArrayList<>();
        for (int t = 0; t < signals.size(); t++) {
            out.add(regime.decide(t, signals.get(t)));
        }
        return out;
    }
}
