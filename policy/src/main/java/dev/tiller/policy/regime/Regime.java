package dev.tiller.policy.regime;

import dev.tiller.policy.regime.Decision.Change;
import dev.tiller.policy.regime.Decision.Rejection;
import dev.tiller.policy.regime.Decision.Verdict;
import dev.tiller.policy.state.Stateful;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The regime of a run: derives signals from the trainer's measurements, asks every controller, and lets the arbiter
 * decide, once per step and before that step's update. Pure given its inputs, so {@code ./tiller replay} re-runs it
 * over the signals a run logged and must reach the same decisions. A rollback decision also restores the regime's own
 * state (derived signals, controllers, knobs, loss history) to the snapshot's step before the recovery rules apply;
 * the trainer restores everything else.
 *
 * <p>Rules the regime adds to the {@link Arbiter}'s:
 * <ul>
 *   <li>Snapshots: {@link Decision#snapshot()} every ring.every steps when ring.capacity > 0; the regime keeps its
 *       own state at each, oldest out beyond capacity, as the trainer's ring does. A snapshot taken after step s is
 *       known-good once max(1, ring.goodWindow) steps after it passed with no anomaly; an anomaly (a ROLLBACK or
 *       SKIP proposal, or a non-finite loss or gradient norm) in that window marks it bad for good.</li>
 *   <li>Rollback: to the newest known-good snapshot still kept. With none, or within recovery.cooldown steps of the
 *       last rollback when that snapshot is older than the last rollback (going back past a recovery again could
 *       loop), the step is skipped instead and {@link Decision#why()} says so; a snapshot taken since the last
 *       rollback that turned known-good is a safe state of its own, and the rollback to it goes ahead. Every knob
 *       goes back to its snapshot value and the learning rate further x recovery.lrFactor (not below its min): these
 *       changes, logged
 *       by controller "rollback", are exempt from the maximum step since they undo what the snapshot does not
 *       contain. The ramp then gives the cut back (controller "rollback"): it multiplies the learning rate by the
 *       inverse of what the recovery took (plus what an earlier ramp had not given back yet), along a geometric
 *       path over recovery.rampSteps steps, one move at a time within the knob's maximum step, bounds and
 *       hysteresis but not its cooldown (a recovery must not take cooldown x cut / maxStep steps), until all is
 *       given back. The controllers' own changes of the rate stand: a step where one
 *       proposes a learning rate is the controller's (through the arbiter) and the ramp waits. The
 *       arbiter's memory is not restored, since a rollback does not undo time: cooldowns count every movement of a
 *       knob. The oscillation guard counts the arbiter's changes only: a recovery (rollback, ramp, trial revert)
 *       is the regime's own rule, not a controller dithering.</li>
 *   <li>Level change: while every step since a rollback has raised a finite spike (a SKIP or ROLLBACK proposal with
 *       a finite loss and gradient norm) and the recovery cooldown has not run out, those proposals are rejected and
 *       the step trains: the weights were restored to a known-good state and still see the spike, so the data moved
 *       (a distribution shift), not the weights, and skipping it would stall the run on the new data. Non-finite
 *       steps still skip and roll back.</li>
 *   <li>Trials: a SET with trialSteps > 0 that the arbiter applies is provisional. The regime fits a line to the last
 *       trials.window finite losses before it; after trialSteps steps it keeps the change when the mean loss over
 *       the trial is at most the line's mean over the same steps plus trials.tolerance x |that mean|, else it puts
 *       the knob back (controller "trial"; within the maximum step, since it undoes one step, and exempt from the
 *       cooldown). While a trial runs, other proposals for its knob are rejected. A rollback cancels all trials.</li>
 *   <li>Calibration: at a step whose measurements carry the learning-rate branches ("lr_branch/E", see
 *       {@link RegimeSpec.CalibrationSpec}), the best finite branch sets the learning-rate knob to its value x
 *       factor^E (within the knob's bounds, exempt from its maximum step and cooldown: one counterfactual comparison
 *       on the run's own data and weights is stronger evidence than any controller's rule) when it beats branch 0 by
 *       more than the margin (controller "calibrate"); otherwise a verdict says the rate is kept. Either way the
 *       controllers' proposals for the rate at that step are rejected and the ramp waits; a move cancels the rate's
 *       trials.</li>
 * </ul>
 * Non-finite inputs never make the regime throw: they are anomalies and are left out of the loss history. Step
 * numbers in reasons and rejections are 1-based (steps finished), as in metrics.jsonl and events.jsonl.
 */
public final class Regime implements Stateful<Regime.State> {
    /** Name of the regime's own rules in changes, rejections and verdicts. */
    public static final String ROLLBACK = "rollback";
    public static final String TRIAL = "trial";
    public static final String CALIBRATE = "calibrate";

    /** One finite loss and its step, for trial trends. */
    public record Point(long step, double loss) {}

    /** A provisional change: what it was, when it ends, the trend from before it and the losses seen since. */
    public record Trial(String controller, Knob knob, double before, double after, long start, long end,
                        double intercept, double slope, double lossSum, double predictedSum, long count) {}

    /** The learning rate's climb back after a rollback, from..to over steps steps beginning at start. */
    /**
     * The learning rate's climb back after a rollback, in log units: total to give back (the recovery's cut, plus
     * what an earlier ramp had not yet given back), repaid so far, along a straight path over steps steps from
     * start.
     */
    public record Ramp(double total, double repaid, long start, long steps) {}

    /** The part of the regime's state that a snapshot saves and a rollback restores. */
    public record Core(Knobs knobs, SignalBank.State bank, List<Object> controllers, List<Trial> trials,
                       List<Point> losses) {
        public Core {
            controllers = Collections.unmodifiableList(new ArrayList<>(controllers));   // states may be null
            trials = List.copyOf(trials);
            losses = List.copyOf(losses);
        }
    }

    public enum Status { PENDING, GOOD, BAD }

    /** The regime's state saved with the trainer's snapshot after step. */
    public record Saved(long step, Core core, Status status) {}

    /**
     * Everything the regime carries between steps: the last decided step (-1 before the first), the restorable
     * core, the arbiter's memory, the snapshots kept (oldest first), the last rollback's step (-1 for none), the
     * ramp under way (null for none), and whether every step since that rollback has raised a finite spike (a SKIP
     * or ROLLBACK proposal on finite values): the episode the level-change rule watches.
     */
    public record State(long step, Core core, Arbiter.State arbiter, List<Saved> ring, long lastRollback,
                        Ramp ramp, boolean spikeEpisode) {
        public State {
            ring = List.copyOf(ring);
        }

        public Knobs knobs() {
            return core.knobs();
        }
    }

    private final RegimeSpec spec;
    private final List<Controller<?>> controllers;
    private final SignalBank bank;
    private final Arbiter arbiter;
    private State state;

    private Regime(RegimeSpec spec, List<? extends Controller<?>> controllers) {
        this.spec = spec;
        this.controllers = List.copyOf(controllers);
        this.bank = SignalBank.of(spec);
        this.arbiter = Arbiter.of(spec);
        List<Object> states = new ArrayList<>();
        for (Controller<?> c : this.controllers) {
            states.add(c.initial());
        }
        Core core = new Core(initialKnobs(spec), bank.initial(), states, List.of(), List.of());
        this.state = new State(-1, core, arbiter.initial(), List.of(), -1, null, false);
    }

    /** The regime spec describes, its controllers built by the registry. */
    public static Regime of(RegimeSpec spec) {
        List<Controller<?>> cs = new ArrayList<>();
        for (int i = 0; i < spec.controllers().size(); i++) {
            cs.add(Controllers.create(spec.controllers().get(i), "regime " + spec.name() + ": controllers[" + i + "]"));
        }
        return new Regime(spec, cs);
    }

    /** A regime with the given controllers (in priority-tie order) instead of those spec lists. */
    public static Regime of(RegimeSpec spec, List<? extends Controller<?>> controllers) {
        return new Regime(spec, controllers);
    }

    private static Knobs initialKnobs(RegimeSpec spec) {
        Knobs k = Knobs.neutral();
        for (KnobSpec s : spec.knobs().values()) {
            k = k.with(s.knob(), s.initial());
        }
        return k;
    }

    /** The controllers, in the order their states sit in {@link Core#controllers()}. */
    List<Controller<?>> controllers() {
        return controllers;
    }

    public RegimeSpec spec() {
        return spec;
    }

    /** The knob values in force now (those of the last decision). */
    public Knobs knobs() {
        return state.knobs();
    }

    /** Decides step (0-based, the step about to be applied) from what the trainer measured in it. */
    public Decision decide(long step, Signals measured) {
        State s = state;
        Core core = s.core();
        SignalBank.Result banked = bank.update(core.bank(), step, measured);
        Signals seen = measured.merge(banked.derived());
        Knobs before = core.knobs();

        List<Proposal> proposals = new ArrayList<>();
        List<Object> controllerStates = new ArrayList<>();
        for (int i = 0; i < controllers.size(); i++) {
            Controller.Output<?> out = call(controllers.get(i), step, seen, before, core.controllers().get(i));
            controllerStates.add(out.state());
            proposals.addAll(out.proposals());
        }

        double loss = measured.get(Signals.LOSS);
        boolean anomaly = nonFinite(measured);
        boolean spiking = false;
        for (Proposal p : proposals) {
            spiking |= p.action() != Proposal.Action.SET;
        }
        anomaly |= spiking;
        List<Saved> ring = judgeSnapshots(s.ring(), step, anomaly);

        List<Rejection> rejections = new ArrayList<>();
        List<String> why = new ArrayList<>();
        if (spiking && s.spikeEpisode() && !nonFinite(measured)
                && step - s.lastRollback() < spec.recovery().cooldown()) {
            // The weights were just restored to a known-good state and the finite spike is still there: the loss
            // level itself has moved (new data, a distribution shift), so skipping or rolling back again would only
            // keep the run from learning it.
            List<Proposal> kept = new ArrayList<>();
            for (Proposal p : proposals) {
                if (p.action() == Proposal.Action.SET) {
                    kept.add(p);
                } else {
                    rejections.add(new Rejection(p, "level change: the spike outlasted the rollback at step "
                            + (s.lastRollback() + 1) + " to known-good weights, so the data moved, not the weights;"
                            + " train on it"));
                }
            }
            proposals = kept;
        }
        Proposal rollback = null;
        for (Proposal p : proposals) {
            if (p.action() == Proposal.Action.ROLLBACK) {
                rollback = p;
                break;
            }
        }
        Saved target = null;
        if (rollback != null) {
            String instead = null;
            for (Saved sv : ring) {
                if (sv.status() == Status.GOOD) {
                    target = sv;              // the ring is oldest first: the last GOOD one is the newest
                }
            }
            if (target == null) {
                instead = "no known-good snapshot to roll back to; skipped instead";
            } else if (s.lastRollback() >= 0 && step - s.lastRollback() < spec.recovery().cooldown()
                    && target.step() < s.lastRollback()) {
                instead = "rollback cooldown: last rollback at step " + (s.lastRollback() + 1) + ", cooldown "
                        + spec.recovery().cooldown() + " steps, and no known-good snapshot since; skipped instead";
                target = null;
            }
            if (instead != null) {
                List<Proposal> replaced = new ArrayList<>();
                for (Proposal p : proposals) {
                    if (p.action() == Proposal.Action.ROLLBACK) {
                        rejections.add(new Rejection(p, instead));
                        replaced.add(new Proposal(p.controller(), Proposal.Action.SKIP, null, Double.NaN,
                                p.priority(), 0, p.reason(), p.evidence()));
                    } else {
                        replaced.add(p);
                    }
                }
                proposals = replaced;
                why.add(rollback.controller() + " asked to roll back (" + rollback.reason() + "): " + instead);
                rollback = null;
            }
        }

        Decision decision;
        if (rollback != null) {
            decision = rollBack(step, s, ring, target, rollback, proposals, rejections, banked.derived());
        } else {
            decision = advance(step, s, core, ring, banked, measured, controllerStates, proposals, rejections, why,
                    loss, s.spikeEpisode() && spiking);
        }
        return decision;
    }

    /**
     * The regime's step when nothing rolls back: trials end or go on, a calibration sets the learning rate, the
     * arbiter decides, a snapshot may follow.
     */
    private Decision advance(long step, State s, Core core, List<Saved> ring, SignalBank.Result banked,
                             Signals measured, List<Object> controllerStates, List<Proposal> proposals,
                             List<Rejection> rejections, List<String> why, double loss, boolean spikeEpisode) {
        Knobs knobs = core.knobs();
        Arbiter.State arb = s.arbiter();
        List<Change> changes = new ArrayList<>();
        List<Verdict> verdicts = new ArrayList<>();
        List<Trial> trials = new ArrayList<>();
        List<Knob> locked = new ArrayList<>();
        for (Trial t : core.trials()) {
            if (Double.isFinite(loss) && step > t.start()) {
                double predicted = t.intercept() + t.slope() * step;
                t = new Trial(t.controller(), t.knob(), t.before(), t.after(), t.start(), t.end(), t.intercept(),
                        t.slope(), t.lossSum() + loss, t.predictedSum() + predicted, t.count() + 1);
            }
            locked.add(t.knob());
            if (step < t.end()) {
                trials.add(t);
                continue;
            }
            double observed = t.lossSum() / t.count();
            double predicted = t.predictedSum() / t.count();
            boolean kept = t.count() > 0 && Double.isFinite(predicted)
                    && observed <= predicted + spec.trials().tolerance() * Math.abs(predicted);
            Map<String, Double> evidence = new LinkedHashMap<>();
            evidence.put("observed_loss", observed);
            evidence.put("predicted_loss", predicted);
            evidence.put("trend_slope", t.slope());
            evidence.put("tolerance", spec.trials().tolerance());
            evidence.put("before", t.before());
            evidence.put("after", t.after());
            String reason = t.count() == 0 ? "no finite loss during the trial; reverted"
                    : !Double.isFinite(predicted) ? "no loss trend from before the trial; reverted"
                    : kept ? "mean loss " + observed + " <= trend " + predicted + " (+ tolerance); kept"
                    : "mean loss " + observed + " > trend " + predicted + " (+ tolerance); reverted";
            verdicts.add(new Verdict(t.controller(), t.knob(), kept, reason, evidence));
            if (!kept && knobs.get(t.knob()) != t.before()) {
                double old = knobs.get(t.knob());
                changes.add(new Change(TRIAL, t.knob(), old, t.before(), "trial of " + t.controller() + " reverted: "
                        + reason, evidence));
                knobs = knobs.with(t.knob(), t.before());
                arb = arbiter.recordForced(arb, t.knob(), step);
            }
        }
        Calibration cal = calibration(measured, knobs);
        if (cal != null) {
            if (cal.now() != knobs.get(Knob.LR)) {
                changes.add(new Change(CALIBRATE, Knob.LR, knobs.get(Knob.LR), cal.now(), cal.reason(),
                        cal.evidence()));
                knobs = knobs.with(Knob.LR, cal.now());
                arb = arbiter.recordForced(arb, Knob.LR, step);
                List<Trial> going = new ArrayList<>();
                for (Trial t : trials) {
                    if (t.knob() == Knob.LR) {      // judged against a rate that no longer holds
                        verdicts.add(new Verdict(t.controller(), t.knob(), false, "cancelled by the learning-rate"
                                + " calibration", Map.of()));
                    } else {
                        going.add(t);
                    }
                }
                trials = going;
                locked.removeIf(k -> k == Knob.LR);
            } else {
                verdicts.add(new Verdict(CALIBRATE, Knob.LR, true, cal.reason(), cal.evidence()));
            }
        }
        List<Proposal> judged = new ArrayList<>();
        boolean lrWanted = cal != null;         // the ramp waits at the calibration's step
        for (Proposal p : proposals) {
            if (p.action() == Proposal.Action.SET && locked.contains(p.knob())) {
                rejections.add(new Rejection(p, "trial in progress on " + p.knob().key()));
            } else if (cal != null && p.action() == Proposal.Action.SET && p.knob() == Knob.LR) {
                rejections.add(new Rejection(p, "the calibration sets the learning rate at this step"));
            } else {
                judged.add(p);
                lrWanted |= p.action() == Proposal.Action.SET && p.knob() == Knob.LR;
            }
        }
        Ramp ramp = s.ramp();
        if (ramp != null && !lrWanted && !locked.contains(Knob.LR)) {
            KnobSpec lrSpec = spec.knobs().get(Knob.LR);
            double old = knobs.get(Knob.LR);
            double path = ramp.total() * Math.min(1, (double) (step - ramp.start() + 1) / ramp.steps());
            double left = ramp.total() - ramp.repaid();
            double move = Math.min(Math.min(path - ramp.repaid(), left), lrSpec.maxStep());
            double now = Math.min(lrSpec.max(), old * StrictMath.exp(move));
            if (now > old && (move >= spec.arbiter().hysteresis() || move == left)) {
                double repaid = ramp.repaid() + StrictMath.log(now / old);
                changes.add(new Change(ROLLBACK, Knob.LR, old, now, "reintroduce the learning rate after a"
                        + " rollback", Map.of("total", ramp.total(), "repaid", repaid)));
                knobs = knobs.with(Knob.LR, now);
                arb = arbiter.recordForced(arb, Knob.LR, step);
                ramp = new Ramp(ramp.total(), repaid, ramp.start(), ramp.steps());
            }
            if (ramp.total() - ramp.repaid() < 1e-12 || knobs.get(Knob.LR) >= lrSpec.max()) {
                ramp = null;                        // given back (to rounding), or as high as the knob goes
            }
        }
        Arbiter.Result r = arbiter.decide(step, judged, knobs, arb);
        rejections.addAll(r.rejections());
        changes.addAll(r.changes());
        List<Point> losses = new ArrayList<>(core.losses());
        for (Proposal p : r.accepted()) {
            if (p.action() == Proposal.Action.SKIP) {
                why.add("skip: " + p.controller() + ": " + p.reason());
            }
            if (p.action() != Proposal.Action.SET || p.trialSteps() <= 0) {
                continue;
            }
            for (Change c : r.changes()) {
                if (c.knob() == p.knob() && c.controller().equals(p.controller())) {
                    double[] line = fit(losses, step);
                    trials.add(new Trial(p.controller(), p.knob(), c.old(), c.now(), step, step + p.trialSteps(),
                            line[0], line[1], 0, 0, 0));
                }
            }
        }
        if (Double.isFinite(loss)) {
            losses.add(new Point(step, loss));
            while (losses.size() > spec.trials().window()) {
                losses.remove(0);
            }
        }
        Core next = new Core(r.knobs(), banked.state(), controllerStates, trials, losses);
        boolean snapshot = snapshotDue(step);
        if (snapshot) {
            ring = push(ring, new Saved(step, next, Status.PENDING));
        }
        state = new State(step, next, r.state(), ring, s.lastRollback(), ramp, spikeEpisode);
        return new Decision(step, r.knobs(), changes, rejections, r.skip(), -1, snapshot, verdicts, banked.derived(),
                String.join("; ", why));
    }

    /** Restores the regime's core from target, lowers the learning rate and starts its ramp back. */
    private Decision rollBack(long step, State s, List<Saved> ring, Saved target, Proposal rollback,
                              List<Proposal> proposals, List<Rejection> rejections, Signals derived) {
        Arbiter.Result vetoed = arbiter.decide(step, proposals, s.knobs(), s.arbiter());
        rejections.addAll(vetoed.rejections());
        Knobs old = s.knobs();
        Knobs restored = target.core().knobs();
        double lrSaved = restored.get(Knob.LR);
        double lr = Math.max(spec.knobs().get(Knob.LR).min(), lrSaved * spec.recovery().lrFactor());
        Knobs knobs = restored.with(Knob.LR, lr);
        List<Change> changes = new ArrayList<>();
        Arbiter.State arb = s.arbiter();
        Map<String, Double> evidence = new LinkedHashMap<>(rollback.evidence());
        evidence.put("snapshot_step", (double) (target.step() + 1));
        for (Knob k : Knob.values()) {
            if (knobs.get(k) != old.get(k)) {
                String reason = "rolled back to the snapshot after step " + (target.step() + 1) + " ("
                        + rollback.reason() + ")" + (k == Knob.LR ? "; learning rate x " + spec.recovery().lrFactor()
                        : "");
                changes.add(new Change(ROLLBACK, k, old.get(k), knobs.get(k), reason, evidence));
                arb = arbiter.recordForced(arb, k, step);
            }
        }
        List<Verdict> verdicts = new ArrayList<>();
        for (Trial t : s.core().trials()) {
            verdicts.add(new Verdict(t.controller(), t.knob(), false, "cancelled by rollback", Map.of()));
        }
        double owed = StrictMath.log(lrSaved / lr) + (s.ramp() == null ? 0 : s.ramp().total() - s.ramp().repaid());
        Ramp ramp = owed > 0 && spec.recovery().rampSteps() > 0
                ? new Ramp(owed, 0, step + 1, spec.recovery().rampSteps()) : null;
        Core t = target.core();
        Core next = new Core(knobs, t.bank(), t.controllers(), List.of(), t.losses());
        boolean snapshot = snapshotDue(step);
        if (snapshot) {
            ring = push(ring, new Saved(step, next, Status.PENDING));
        }
        state = new State(step, next, arb, ring, step, ramp, true);
        return new Decision(step, knobs, changes, rejections, false, target.step(), snapshot, verdicts, derived,
                rollback.controller() + ": " + rollback.reason());
    }

    /** The calibration's outcome: the learning-rate knob it leaves (unchanged when branch 0 won), why, evidence. */
    private record Calibration(double now, String reason, Map<String, Double> evidence) {}

    /**
     * The calibration rule over the branch scores in measured ("lr_branch/E": validation loss after the branch at
     * the knob x factor^E), or null when the step has none. The best finite score wins (ties: the smaller |E|, then
     * the lower rate); it moves the knob only when it beats branch 0 by more than margin x branch 0's progress from
     * "lr_branch_start" (|branch 0| without a start), or branch 0 is not finite.
     */
    private Calibration calibration(Signals measured, Knobs knobs) {
        Map<Integer, Double> scores = new TreeMap<>();
        for (Map.Entry<String, Double> e : measured.asMap().entrySet()) {
            if (e.getKey().startsWith(Signals.LR_BRANCH)) {
                scores.put(Integer.parseInt(e.getKey().substring(Signals.LR_BRANCH.length())), e.getValue());
            }
        }
        if (scores.isEmpty()) {
            return null;
        }
        RegimeSpec.CalibrationSpec c = spec.calibration();
        Map<String, Double> evidence = new LinkedHashMap<>();
        Integer best = null;
        for (Map.Entry<Integer, Double> e : scores.entrySet()) {
            evidence.put("lr_x" + num(StrictMath.pow(c.factor(), e.getKey())), e.getValue());
            double v = e.getValue();
            if (!Double.isFinite(v)) {
                continue;
            }
            if (best == null || v < scores.get(best)
                    || (v == scores.get(best) && Math.abs(e.getKey()) < Math.abs(best))) {
                best = e.getKey();
            }
        }
        double start = measured.get(Signals.LR_BRANCH_START);
        evidence.put("start", start);
        evidence.put("margin", c.margin());
        double lr = knobs.get(Knob.LR);
        double base = scores.getOrDefault(0, Double.NaN);
        double progress = Double.isFinite(start) ? Math.max(0, start - base) : Math.abs(base);
        if (best == null || best == 0
                || (Double.isFinite(base) && !(scores.get(best) < base - c.margin() * progress))) {
            String why = best == null ? "no branch ended with a finite validation loss"
                    : best == 0 ? "the current learning rate's branch had the lowest validation loss ("
                            + num(base) + ")"
                    : "the best branch (x" + num(StrictMath.pow(c.factor(), best)) + ", "
                            + num(scores.get(best)) + ") is not better than the current rate's ("
                            + num(base) + ") by " + num(c.margin()) + " x its progress from " + num(start);
            return new Calibration(lr, "learning-rate calibration on " + scores.size() + " branches: " + why
                    + "; keep it", evidence);
        }
        KnobSpec ks = spec.knobs().get(Knob.LR);
        double f = StrictMath.pow(c.factor(), best);
        double now = Math.min(ks.max(), Math.max(ks.min(), lr * f));
        return new Calibration(now, "learning-rate calibration on " + scores.size() + " branches: x"
                + num(f) + " ended at validation loss " + num(scores.get(best)) + (Double.isFinite(base)
                ? " against " + num(base) + " at the current rate" : "; the current rate's did not end finite"),
                evidence);
    }

    private static String num(double v) {
        return String.format(Locale.ROOT, "%.4g", v);
    }

    private boolean snapshotDue(long step) {
        return spec.ring().capacity() > 0 && (step + 1) % spec.ring().every() == 0;
    }

    private List<Saved> push(List<Saved> ring, Saved saved) {
        List<Saved> r = new ArrayList<>(ring);
        r.add(saved);
        while (r.size() > spec.ring().capacity()) {
            r.remove(0);
        }
        return r;
    }

    /** Pending snapshots become bad on an anomaly, good once the window after them passed without one. */
    private List<Saved> judgeSnapshots(List<Saved> ring, long step, boolean anomaly) {
        long window = Math.max(1, spec.ring().goodWindow());
        List<Saved> r = new ArrayList<>(ring.size());
        for (Saved sv : ring) {
            if (sv.status() == Status.PENDING && step > sv.step()) {
                if (anomaly) {
                    sv = new Saved(sv.step(), sv.core(), Status.BAD);
                } else if (step - sv.step() >= window) {
                    sv = new Saved(sv.step(), sv.core(), Status.GOOD);
                }
            }
            r.add(sv);
        }
        return r;
    }

    /** A non-finite loss or gradient norm, or finite = 0: the cases the level-change rule never waves through. */
    private static boolean nonFinite(Signals measured) {
        return !finiteIfPresent(measured, Signals.LOSS) || !finiteIfPresent(measured, Signals.GRAD_NORM)
                || (measured.has(Signals.FINITE) && measured.get(Signals.FINITE) != 1);
    }

    private static boolean finiteIfPresent(Signals s, String name) {
        return !s.has(name) || Double.isFinite(s.get(name));
    }

    /** Least-squares line loss = a + b * step through the points, as {a, b}; flat through the mean when too few. */
    static double[] fit(List<Point> points, long step) {
        int n = points.size();
        if (n == 0) {
            return new double[] {Double.NaN, 0};
        }
        double mx = 0;
        double my = 0;
        for (Point p : points) {
            mx += p.step();
            my += p.loss();
        }
        mx /= n;
        my /= n;
        double sxy = 0;
        double sxx = 0;
        for (Point p : points) {
            sxy += (p.step() - mx) * (p.loss() - my);
            sxx += (p.step() - mx) * (p.step() - mx);
        }
        double b = n < 2 || sxx == 0 ? 0 : sxy / sxx;
        return new double[] {my - b * mx, b};
    }

    @SuppressWarnings("unchecked")
    private static <S> Controller.Output<S> call(Controller<S> c, long step, Signals signals, Knobs knobs,
                                                 Object state) {
        return c.decide(step, signals, knobs, (S) state);   // the state came from this controller's initial or decide
    }

    @Override
    public State snapshot() {
        return state;
    }

    @Override
    public void restore(State snapshot) {
        this.state = snapshot;
    }
}
