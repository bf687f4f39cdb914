package dev.tiller.optim.average;

/**
 * SWA schedule (Izmailov et al. 2018, "Averaging Weights Leads to Wider Optima and Better Generalization",
 * arXiv 1803.05407): average every {@code every} steps from step {@code startStep} on.
 *
 * @param startStep the first step (as the caller counts them) that is averaged, >= 0
 * @param every     the averaging period in steps, >= 1 (the paper averages once per cycle or epoch)
 */
public record SwaHyper(long startStep, int every) {
    public SwaHyper {
        if (startStep < 0) {
            throw new IllegalArgumentException("SWA: startStep = " + startStep + " is not allowed; allowed range"
                    + " [0, +inf)");
        }
        if (every < 1) {
            throw new IllegalArgumentException("SWA: every = " + every + " is not allowed; allowed range [1, +inf)");
        }
    }
}
