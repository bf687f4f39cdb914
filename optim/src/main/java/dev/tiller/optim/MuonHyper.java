package dev.tiller.optim;

/**
 * Muon hyperparameters with PyTorch's meaning (torch.optim.Muon, PyTorch 2.11): lr, weightDecay (decoupled:
 * theta *= 1 - lr * weightDecay), momentum (mu), nesterov, the Newton-Schulz quintic's coefficients (a, b, c),
 * eps (floor of the Frobenius norm the momentum is divided by), nsSteps (iterations, < 100 as PyTorch requires)
 * and adjustLr, PyTorch's adjust_lr_fn (None is {@link AdjustLr#ORIGINAL}). PyTorch's use_addmm only picks how
 * the same products are formed and has no field here. Immutable and validated.
 */
public record MuonHyper(float lr, float weightDecay, float momentum, boolean nesterov, float nsA, float nsB,
                        float nsC, float eps, int nsSteps, AdjustLr adjustLr) {
    /** How the learning rate is scaled for an (A, B) matrix, so the update's RMS is comparable across shapes. */
    public enum AdjustLr {
        /** Keller Jordan's rule, PyTorch's default (adjust_lr_fn None or "original"): lr * sqrt(max(1, A / B)). */
        ORIGINAL,
        /** Moonshot's rule ("match_rms_adamw", arXiv 2502.16982): lr * 0.2 * sqrt(max(A, B)). */
        MATCH_RMS_ADAMW;

        /** The factor lr is multiplied by for a matrix with a rows and b columns. */
        public double ratio(int a, int b) {
            return switch (this) {
                case ORIGINAL -> Math.sqrt(Math.max(1.0, (double) a / b));
                case MATCH_RMS_ADAMW -> 0.2 * Math.sqrt(Math.max(a, b));
            };
        }
    }

    public MuonHyper {
        Check.nonNegative("Muon", "lr", lr);
        Check.nonNegative("Muon", "weightDecay", weightDecay);
        Check.closed("Muon", "momentum", momentum, 0, 1);
        requireFinite("nsA", nsA);
        requireFinite("nsB", nsB);
        requireFinite("nsC", nsC);
        Check.nonNegative("Muon", "eps", eps);
        Check.atLeast("Muon", "nsSteps", nsSteps, 0);
        if (nsSteps >= 100) {
            throw new IllegalArgumentException("Muon: nsSteps = " + nsSteps + " is not allowed; allowed range [0, 99]"
                    + " (PyTorch's limit, for computational efficiency)");
        }
        if (adjustLr == null) {
            throw new IllegalArgumentException("Muon: adjustLr = null is not allowed; use ORIGINAL (PyTorch's None)"
                    + " or MATCH_RMS_ADAMW");
        }
    }

    private static void requireFinite(String name, float v) {
        if (!Float.isFinite(v)) {
            throw new IllegalArgumentException("Muon: " + name + " = " + v + " is not allowed; allowed range"
                    + " (-inf, +inf), finite");
        }
    }

    /**
     * PyTorch's defaults: lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
     * ns_coefficients=(3.4445, -4.775, 2.0315), eps=1e-7, ns_steps=5, adjust_lr_fn=None.
     */
    public static MuonHyper defaults() {
        return new MuonHyper(1e-3f, 0.1f, 0.95f, true, 3.4445f, -4.775f, 2.0315f, 1e-7f, 5, AdjustLr.ORIGINAL);
    }

    public MuonHyper withLr(float v) {
        return new MuonHyper(v, weightDecay, momentum, nesterov, nsA, nsB, nsC, eps, nsSteps, adjustLr);
    }

    public MuonHyper withWeightDecay(float v) {
        return new MuonHyper(lr, v, momentum, nesterov, nsA, nsB, nsC, eps, nsSteps, adjustLr);
    }

    public MuonHyper withMomentum(float v, boolean useNesterov) {
        return new MuonHyper(lr, weightDecay, v, useNesterov, nsA, nsB, nsC, eps, nsSteps, adjustLr);
    }

    public MuonHyper withNewtonSchulz(float a, float b, float c, int steps) {
        return new MuonHyper(lr, weightDecay, momentum, nesterov, a, b, c, eps, steps, adjustLr);
    }

    public MuonHyper withEps(float v) {
        return new MuonHyper(lr, weightDecay, momentum, nesterov, nsA, nsB, nsC, v, nsSteps, adjustLr);
    }

    public MuonHyper withAdjustLr(AdjustLr v) {
        return new MuonHyper(lr, weightDecay, momentum, nesterov, nsA, nsB, nsC, eps, nsSteps, v);
    }
}
