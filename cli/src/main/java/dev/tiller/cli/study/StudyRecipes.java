package dev.tiller.cli.study;

import dev.tiller.policy.recipe.Recipe;

/**
 * The recipe a contender trains with: the model's recipe with the contender's optimizer at its published defaults,
 * its learning rate times factor (the oracle's grid and the robustness arms move only the learning rate).
 */
final class StudyRecipes {
    private StudyRecipes() {}

    static Recipe of(String model, long steps, double factor, String optimizer) {
        Recipe r = Recipe.defaults(model, steps, null, optimizer);
        return factor == 1.0 ? r : r.withLr(r.lr() * factor);
    }
}
