package dev.tiller.optim.schedule;

import java.util.List;

/**
 * The pointwise product of schedules, left to right: {@code at(t) = f0.at(t) * f1.at(t) * ...}. With a base value and
 * multiplicative factors this is PyTorch's {@code ChainedScheduler} for schedulers that only multiply the learning
 * rate (StepLR, MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR); PyTorch's chained cosine with
 * {@code eta_min > 0} mixes additively and is not a product.
 */
public record Product(List<Schedule> factors) implements Schedule {
    public Product {
        if (factors == null || factors.isEmpty()) {
            throw new IllegalArgumentException("Product: needs at least one factor, got none");
        }
        factors = List.copyOf(factors);
    }

    @Override
    public double at(long t) {
        double v = factors.get(0).at(t);
        for (int i = 1; i < factors.size(); i++) {
            v *= factors.get(i).at(t);
        }
        return v;
    }
}
