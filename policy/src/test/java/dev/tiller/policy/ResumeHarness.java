package dev.tiller.policy;

import dev.tiller.autograd.Variable;
import dev.tiller.models.data.ShiftingStream;
import dev.tiller.models.data.TextCorpus;
import dev.tiller.models.gpt.GptConfig;
import dev.tiller.models.nn.Module;
import dev.tiller.optim.ParamRef;
import dev.tiller.optim.StatePrecision;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import dev.tiller.policy.log.Event;
import dev.tiller.policy.recipe.Optimizers;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.regime.Decision;
import dev.tiller.policy.regime.Knobs;
import dev.tiller.policy.regime.Regime;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.policy.regime.Signals;
import dev.tiller.policy.state.StateCodec;
import dev.tiller.policy.task.GptTask;
import dev.tiller.policy.task.Task;
import dev.tiller.tensor.DType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small GPT run (dropout on, two micro-batches a step, evaluations, a regime with probes, a rollback ring and a
 * calibration, injected faults) that can be crashed at a chosen point and resumed from its newest checkpoint by a
 * fresh set of objects, as a restarted process would: for the exact-resume and fault tests.
 */
final class ResumeHarness {
    static final long STEPS = 40;
    static final long EVERY = 4;

    /** Where a run dies: the kind of point and the step (0-based) it is reached in. */
    enum Point { MID_ACCUMULATION, DURING_EVAL, AFTER_DECISION, DURING_SAVE, BETWEEN_STEPS }

    record Crash(Point point, long step) {}

    /** Thrown at the crash point; an Error, so nothing on the way out treats it as a handled failure. */
    static final class Died extends Error {
        Died(String where) {
            super("crashed " + where);
        }
    }

    final String regime;
    final String inject;
    /** The step the last resume started from (-1: none yet). */
    long resumedFrom = -1;
    final String optimizer;
    final DType precision;
    final boolean big;
    final long steps;
    /** SHA-256 of the run's state after its last step (see RunCheckpoint#sha256), once it ran to the end. */
    String digest;

    ResumeHarness(String regime, String inject, String optimizer, DType precision) {
        this(regime, inject, optimizer, precision, false, STEPS);
    }

    /** big: a GPT whose kernels split into several chunks (as TrainerTest's), for thread-count checks. */
    ResumeHarness(String regime, String inject, String optimizer, DType precision, boolean big, long steps) {
        this.regime = regime;
        this.inject = inject;
        this.optimizer = optimizer;
        this.precision = precision;
        this.big = big;
        this.steps = steps;
    }

    static ResumeHarness adaptive() {
        return new ResumeHarness("adaptive", "nan-grad@12,lr-spike@31x100", Recipe.ADAMW, DType.F32);
    }

    /** A fresh task: the same data, model and initial weights every time. */
    Task task(Crash crash) {
        GptTask gpt = big
                ? new GptTask(TextCorpus.synthetic(7, 1 << 16), new GptConfig(256, 64, 128, 2, 4, 0.1f), 8, 7, 1)
                : new GptTask(TextCorpus.synthetic(3, 1 << 15), new GptConfig(256, 16, 32, 1, 2, 0.1f), 4, 3, 1);
        if (crash == null) {
            return gpt;
        }
        return new Task() {
            long lastStep = -1;
            int micro;

            @Override
            public String name() {
                return gpt.name();
            }

            @Override
            public Module model() {
                return gpt.model();
            }

            @Override
            public Variable trainLoss(long step, long cursor) {
                micro = step == lastStep ? micro + 1 : 0;
                lastStep = step;
                if (crash.point() == Point.MID_ACCUMULATION && step == crash.step() && micro == 1) {
                    throw new Died("in the second micro-batch of step " + step);
                }
                return gpt.trainLoss(step, cursor);
            }

            @Override
            public Map<String, Double> evaluate() {
                return gpt.evaluate();
            }

            @Override
            public Map<String, Double> evaluate(long step) {
                if (crash.point() == Point.DURING_EVAL && step == crash.step()) {
                    throw new Died("evaluating after step " + step);
                }
                return gpt.evaluate(step);
            }

            @Override
            public Optional<ShiftingStream<?>> shift() {
                return gpt.shift();
            }

            @Override
            public Optional<Variable> probeLoss(long step, long index) {
                return gpt.probeLoss(step, index);
            }

            @Override
            public Optional<double[]> lastInputStats() {
                return gpt.lastInputStats();
            }

            @Override
            public long itemsPerMicroBatch() {
                return gpt.itemsPerMicroBatch();
            }

            @Override
            public String unit() {
                return gpt.unit();
            }

            @Override
            public Map<String, Object> describe() {
                return gpt.describe();
            }
        };
    }

    /** The storage a run saves through: the disk, or one that dies halfway through the data file of a save. */
    static Storage storage(Crash crash) {
        Storage disk = Storage.disk();
        if (crash == null || crash.point() != Point.DURING_SAVE) {
            return disk;
        }
        return new Storage() {
            @Override
            public Sink create(Path file) throws IOException {
                Sink real = disk.create(file);
                boolean dies = file.getFileName().toString().equals(CheckpointFile.DATA)
                        && file.getParent().getFileName().toString().contains(CheckpointRing.name(crash.step()));
                return new Sink() {
                    @Override
                    public void write(ByteBuffer b) throws IOException {
                        if (dies) {
                            b.limit(b.position() + b.remaining() / 2);
                            real.write(b);
                            throw new Died("writing the checkpoint after step " + crash.step());
                        }
                        real.write(b);
                    }

                    @Override
                    public void sync() throws IOException {
                        real.sync();
                    }

                    @Override
                    public void close() throws IOException {
                        real.close();
                    }
                };
            }

            @Override
            public void syncDirectory(Path dir) throws IOException {
                disk.syncDirectory(dir);
            }

            @Override
            public void rename(Path from, Path to) throws IOException {
                disk.rename(from, to);
            }
        };
    }

    Map<String, Object> config() {
        return StateCodec.ordered("test", "resume", "regime", regime, "inject", inject, "optimizer", optimizer);
    }

    /**
     * Trains from step 0 into dir, checkpointing every EVERY steps (0: never), until the end or the crash; returns
     * true when it ran to the end.
     */
    boolean run(Path dir, long every, Crash crash) throws IOException {
        return go(dir, every, crash, false);
    }

    /** Resumes the run in dir from its newest valid checkpoint and trains to the end (or the crash). */
    boolean resume(Path dir, long every, Crash crash) throws IOException {
        return go(dir, every, crash, true);
    }

    private boolean go(Path dir, long every, Crash crash, boolean resume) throws IOException {
        Task task = task(crash);
        List<ParamRef> params = Trainer.paramRefs(task);
        return go(built(task, params), task, params, recipe(), dir, every, crash, resume);
    }

    private Recipe recipe() {
        return Recipe.defaults("gpt", steps, 3e-3, optimizer);
    }

    /** The recipe's optimizer over params, decay on the tensors the model decays, as the command line builds it. */
    private Optimizers.Built<?> built(Task task, List<ParamRef> params) {
        List<String> decayed = task.model().decayed();
        List<ParamRef> decay = new ArrayList<>();
        List<ParamRef> noDecay = new ArrayList<>();
        for (ParamRef r : params) {
            (decayed.contains(r.name()) ? decay : noDecay).add(r);
        }
        return Optimizers.build(recipe(), steps, decay, noDecay, StatePrecision.F32, 3);
    }

    private <H extends Record> boolean go(Optimizers.Built<H> built, Task task, List<ParamRef> params, Recipe recipe,
                                          Path dir, long every, Crash crash, boolean resume) throws IOException {
        RegimeSpec spec = RegimeSpec.resolve(regime);
        Trainer<H> trainer = built.trainer(task, params, recipe.clipper(),
                new Trainer.Settings(steps, 2, 5, precision)).regime(spec).faults(Faults.parse(inject));
        if (crash != null && crash.point() == Point.AFTER_DECISION) {
            trainer.deciders(s -> {
                Regime r = Regime.of(s);
                return new Decider() {
                    @Override
                    public Knobs knobs() {
                        return r.knobs();
                    }

                    @Override
                    public Decision decide(long step, Signals measured) {
                        Decision d = r.decide(step, measured);
                        if (step == crash.step()) {
                            throw new Died("right after the decision of step " + step);
                        }
                        return d;
                    }

                    @Override
                    public Regime regime() {
                        return r;
                    }
                };
            });
        }
        CheckpointRing ring = new CheckpointRing(dir.resolve("checkpoints"), 3, storage(crash));
        CheckpointFile.Loaded saved = null;
        RunLog log;
        if (resume) {
            ring.removeTemporaries();
            CheckpointRing.Found found = ring.latest();
            saved = found.loaded();
            if (saved == null) {
                throw new IllegalStateException("no valid checkpoint in " + ring.dir() + ": " + found.skipped());
            }
            long[] lengths = RunCheckpoint.logLengths(saved);
            RunLog.truncate(dir, lengths[0], lengths[1]);
            log = new RunLog(dir, config(), true);
        } else {
            log = new RunLog(dir, config());
        }
        try (log; Checkpointer cp = new Checkpointer(ring, every, config(), System.err);
             TrainState<H> s = resume ? trainer.resume(log, null, saved) : trainer.start(log, null)) {
            if (saved != null) {
                resumedFrom = saved.step();
                log.event(new Event.Resumed(s.step(), saved.dir().toString(), 0, 0, List.of(), Map.of()));
                saved.close();
            }
            while (s.step() < steps) {
                trainer.step(s);
                if (crash != null && crash.point() == Point.BETWEEN_STEPS && s.step() == crash.step()) {
                    throw new Died("between steps, after step " + s.step());
                }
                cp.afterStep(s);
            }
            cp.save(s);
            digest = RunCheckpoint.sha256(s);
            trainer.finish(s, null);
            return true;
        } catch (Died e) {
            return false;
        } catch (IllegalStateException e) {
            if (e.getCause() instanceof Died) {
                return false;     // the checkpoint thread died mid-save; the training thread saw it at the next save
            }
            throw e;
        }
    }

    /**
     * Restores the checkpoint in folder into a freshly built run (nothing trained): true when it was accepted; a
     * checkpoint this run cannot take throws CheckpointException.
     */
    boolean resumeInto(Path folder) {
        Task task = task(null);
        List<ParamRef> params = Trainer.paramRefs(task);
        return resumeInto(built(task, params), task, params, recipe(), folder);
    }

    private <H extends Record> boolean resumeInto(Optimizers.Built<H> built, Task task, List<ParamRef> params,
                                                  Recipe recipe, Path folder) {
        Trainer<H> trainer = built.trainer(task, params, recipe.clipper(),
                new Trainer.Settings(steps, 2, 5, precision)).regime(RegimeSpec.resolve(regime));
        Path logs = folder.resolveSibling(".logs-" + folder.getFileName());
        try (CheckpointFile.Loaded l = CheckpointFile.read(folder); RunLog log = new RunLog(logs, config());
             TrainState<H> s = trainer.resume(log, null, l)) {
            return s.step() == l.step();
        }
    }

    /** metrics.jsonl without wall-clock fields: equal text is equal bits for every other field. */
    static List<String> metrics(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("metrics.jsonl")).stream()
                .map(r -> r.replaceAll(",?\"(?:[a-z]+_per_s|train_cpu_s)\":[^,}]*", "")).toList();
    }

    /** events.jsonl without checkpoint, resume and run_end lines (timing) and the progress of the saves. */
    static List<String> events(Path dir) throws IOException {
        return Files.readAllLines(dir.resolve("events.jsonl")).stream()
                .filter(l -> !l.contains("\"event\":\"checkpoint") && !l.contains("\"event\":\"resumed\"")
                        && !l.contains("\"event\":\"run_end\""))
                .toList();
    }
}
