package dev.tiller.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Faults injected into a run for tests and demonstrations ({@code --inject nan-grad@700,lr-spike@900x100,poison@1100}).
 * Steps are numbered as in metrics.jsonl (1 = the first step). Each fault acts only through its real effect, so the
 * regime sees it only in the signals it would see from a real fault; an "inject" event records it for scoring.
 * <ul>
 * <li>{@code nan-grad@S}: after step S's backward, one gradient element becomes NaN (a non-finite gradient norm).
 * <li>{@code lr-spike@SxF}: step S's update (step S only) uses F times the effective learning rate; the damage shows
 * in the losses of the steps after it.
 * <li>{@code poison@S}: step S's micro-batch losses are multiplied by {@link #POISON_FACTOR} before backward (a
 * corrupt batch: a huge loss and a huge pre-clip gradient norm).
 * </ul>
 */
public record Faults(List<Fault> faults) {
    /** How much a poisoned batch's loss is multiplied. */
    public static final float POISON_FACTOR = 1e4f;

    public enum Kind {
        NAN_GRAD, LR_SPIKE, POISON;

        /** The name in specs and events: "nan-grad", "lr-spike", "poison". */
        public String key() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /** One fault at step (1-based, as in metrics.jsonl); factor is the lr-spike's multiplier (1 otherwise). */
    public record Fault(Kind kind, long step, double factor) {
        public Fault {
            if (step < 1 || !(factor > 0) || Double.isInfinite(factor)) {
                throw new IllegalArgumentException("fault " + kind.key() + ": step >= 1 and a positive finite factor"
                        + " needed, got step " + step + ", factor " + factor);
            }
        }

        /** The spec text of this fault: "nan-grad@700", "lr-spike@900x100". */
        public String spec() {
            return kind.key() + "@" + step + (kind == Kind.LR_SPIKE ? "x" + trim(factor) : "");
        }
    }

    public Faults {
        faults = List.copyOf(faults);
    }

    public static Faults none() {
        return new Faults(List.of());
    }

    /** Parses "nan-grad@700,lr-spike@900x100,poison@1100"; empty or null text means none. */
    public static Faults parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return none();
        }
        List<Fault> out = new ArrayList<>();
        for (String part : spec.split(",")) {
            String p = part.strip();
            int at = p.indexOf('@');
            if (at < 0) {
                throw bad(p);
            }
            String kind = p.substring(0, at);
            String rest = p.substring(at + 1);
            try {
                switch (kind) {
                    case "nan-grad" -> out.add(new Fault(Kind.NAN_GRAD, Long.parseLong(rest), 1));
                    case "poison" -> out.add(new Fault(Kind.POISON, Long.parseLong(rest), 1));
                    case "lr-spike" -> {
                        int x = rest.indexOf('x');
                        if (x < 0) {
                            throw bad(p);
                        }
                        out.add(new Fault(Kind.LR_SPIKE, Long.parseLong(rest.substring(0, x)),
                                Double.parseDouble(rest.substring(x + 1))));
                    }
                    default -> throw bad(p);
                }
            } catch (NumberFormatException e) {
                throw bad(p);
            }
        }
        return new Faults(out);
    }

    private static IllegalArgumentException bad(String part) {
        return new IllegalArgumentException("--inject: cannot read '" + part + "'; faults are nan-grad@S, lr-spike@SxF"
                + " and poison@S (S the step as in metrics.jsonl, from 1; F the learning-rate factor),"
                + " comma-separated");
    }

    /** The spec text ("" for none), which {@link #parse} reads back. */
    public String spec() {
        return String.join(",", faults.stream().map(Fault::spec).toList());
    }

    /** The faults of step t (0-based: metrics step t + 1). */
    public List<Fault> at(long t) {
        return faults.stream().filter(f -> f.step() == t + 1).toList();
    }

    /** True when step t (0-based) has a fault of kind. */
    public boolean has(long t, Kind kind) {
        return faults.stream().anyMatch(f -> f.step() == t + 1 && f.kind() == kind);
    }

    /** The learning-rate factor of step t (0-based): the product of its lr-spikes, 1 without any. */
    public double lrFactor(long t) {
        double f = 1;
        for (Fault x : faults) {
            if (x.kind() == Kind.LR_SPIKE && x.step() == t + 1) {
                f *= x.factor();
            }
        }
        return f;
    }

    /** The largest step a fault names (0 for none). */
    public long lastStep() {
        return faults.stream().mapToLong(Fault::step).max().orElse(0);
    }

    private static String trim(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
