package dev.tiller.optim;

/**
 * Whether an Adam or AdamW optimizer allocates AMSGrad's running maximum "max_exp_avg_sq" (as much memory again as
 * "exp_avg_sq"). Stepping with a record whose amsgrad is true needs {@link #WITH_MAX_STATE}.
 */
public enum Amsgrad {
    /** No maximum state: records must have amsgrad = false. */
    WITHOUT_MAX_STATE,
    /** The "max_exp_avg_sq" state is allocated, so records may switch amsgrad on. */
    WITH_MAX_STATE
}
