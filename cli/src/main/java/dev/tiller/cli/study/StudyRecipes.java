package dev.tiller.cli.study;

import dev.tiller.policy.recipe.Recipe;

/** The recipe a contender trains with: the model's recipe at lr, with the contender's optimizer. */
final class StudyRecipes {
    private StudyRecipes() {}

    static Recipe of(String model, long steps, double lr, String optimizer) {
        Recipe r = Recipe.defaults(model, steps, lr);
        if (!optimizer.equals(r.optimizer())) {
            throw new IllegalArgumentException("study: optimizer '" + optimizer + "' is not available");
        }
        return r;
    }
}
