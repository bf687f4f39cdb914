package dev.tiller.optim.clip;

import dev.tiller.optim.Check;

/**
 * AutoClip hyperparameters (Seetharaman, Wichern, Pardo, Le Roux 2020, arXiv 2007.14469).
 *
 * @param percentile     the percentile of the norm history used as the clip level, in [0, 100] (the paper's p; the
 *                       library's quantile q is p / 100)
 * @param historyLength  how many recent norms are kept; 0 keeps all (the paper's form)
 * @param includeCurrent true: the current norm joins the history before the percentile is taken (the paper's code);
 *                       false: the percentile of the earlier norms is used (+inf with no history) and the current norm
 *                       is added afterwards (the library's {@code QuantileClip})
 */
public record AutoClipHyper(float percentile, int historyLength, boolean includeCurrent) {
    public AutoClipHyper {
        Check.closed("AutoClip", "percentile", percentile, 0, 100);
        Check.atLeast("AutoClip", "historyLength", historyLength, 0);
    }

    /** The paper's form: all norms kept, current norm included, percentile p. */
    public static AutoClipHyper paper(float percentile) {
        return new AutoClipHyper(percentile, 0, true);
    }

    /** The library's QuantileClip(quantile = q, history_length) with one global history. */
    public static AutoClipHyper quantileClip(float quantile, int historyLength) {
        Check.closed("AutoClip", "quantile", quantile, 0, 1);
        return new AutoClipHyper(quantile * 100f, historyLength, false);
    }

    public AutoClipHyper withPercentile(float v) {
        return new AutoClipHyper(v, historyLength, includeCurrent);
    }
}
