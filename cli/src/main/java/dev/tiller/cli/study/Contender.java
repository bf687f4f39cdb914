package dev.tiller.cli.study;

import java.util.List;
import java.util.Optional;

/**
 * A training algorithm the regime study compares: an optimizer under a regime, at the recipe's default learning rate
 * times a factor. Every contender sees the same step budget, data order and recipe otherwise.
 *
 * @param name      the name in tables and in --contenders
 * @param regime    the regime preset it trains under
 * @param optimizer the recipe's optimizer
 * @param summary   what it is, in one line, for the report
 */
public record Contender(String name, String regime, String optimizer, String summary) {
    public static final String STATIC = "static";
    public static final String ORACLE = "oracle";
    public static final String ADAPTIVE = "adaptive";
    /** The oracle's learning-rate grid on seed 0; not a contender of its own in the tables. */
    public static final String GRID = "grid";

    /** The oracle's grid: factors 1/4 to 4 of the default learning rate, log-spaced. */
    public static final List<Double> GRID_FACTORS = List.of(0.25, 0.5, 1.0, 2.0, 4.0);

    /** The contenders of the protocol, (a) to (g). */
    public static List<Contender> all() {
        return List.of(
                new Contender(STATIC, "static", "adamw", "AdamW, warm-up and cosine at the recipe's learning rate"),
                new Contender(ORACLE, "static", "adamw", "the same at the best learning rate of a 5-point grid"
                        + " (1/4 to 4x) chosen on seed 0"),
                new Contender(ADAPTIVE, "adaptive", "adamw", "the regime's adaptive preset, one configuration for"
                        + " every workload"),
                new Contender("plateau", "plateau", "adamw", "warm-up and cosine with PyTorch's ReduceLROnPlateau on"
                        + " the validation loss"),
                new Contender("hypergradient", "static", "adamw-hd", "hypergradient-descent AdamW (Baydin et al."
                        + " 2018)"),
                new Contender("schedule-free", "static", "schedule-free-adamw", "Schedule-Free AdamW at its"
                        + " published defaults"),
                new Contender("prodigy", "static", "prodigy", "Prodigy at its published defaults"));
    }

    public static Optional<Contender> named(String name) {
        return all().stream().filter(c -> c.name.equals(name)).findFirst();
    }
}
