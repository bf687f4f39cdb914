package dev.tiller.optim.schedule;

import java.util.List;

/**
 * Schedules run one after another, switching at milestones; each part restarts from its own step 0.
 * {@code at(t) = parts[i].at(t - milestones[i-1])}, where i counts the milestones {@code <= t} (milestone -1 read as
 * 0). This is exactly PyTorch's {@code SequentialLR}: at a milestone it calls the next scheduler's
 * {@code _update_lr(0)}, i.e. steps it from epoch 0 whatever the previous scheduler did (the "quirk": the next
 * scheduler does not continue from the previous one's last value nor from the global step); afterwards it steps that
 * scheduler normally. It is also Optax's {@code join_schedules(schedules, boundaries)}.
 *
 * @param parts      the schedules, at least one
 * @param milestones strictly increasing, non-negative steps, {@code parts.size() - 1} of them
 */
public record Sequence(List<Schedule> parts, List<Long> milestones) implements Schedule {
    public Sequence {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("Sequence: needs at least one schedule, got none");
        }
        parts = List.copyOf(parts);
        milestones = List.copyOf(milestones);
        if (milestones.size() != parts.size() - 1) {
            throw new IllegalArgumentException("Sequence: needs one milestone fewer than schedules; got "
                    + parts.size() + " schedules and " + milestones.size() + " milestones " + milestones);
        }
        Valid.increasing("Sequence", "milestones", milestones, true);
    }

    @Override
    public double at(long t) {
        Valid.step(t);
        int i = 0;
        while (i < milestones.size() && milestones.get(i) <= t) {
            i++;
        }
        long local = i == 0 ? t : t - milestones.get(i - 1);
        return parts.get(i).at(local);
    }
}
