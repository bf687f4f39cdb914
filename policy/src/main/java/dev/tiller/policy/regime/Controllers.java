package dev.tiller.policy.regime;

import dev.tiller.policy.regime.controllers.Batch;
import dev.tiller.policy.regime.controllers.CautionLr;
import dev.tiller.policy.regime.controllers.CurvatureCap;
import dev.tiller.policy.regime.controllers.Momentum;
import dev.tiller.policy.regime.controllers.PlateauLr;
import dev.tiller.policy.regime.controllers.ReduceOnPlateau;
import dev.tiller.policy.regime.controllers.Shift;
import dev.tiller.policy.regime.controllers.Spike;
import dev.tiller.policy.regime.controllers.WeightDecay;
import dev.tiller.policy.regime.controllers.ZClipCtl;

import java.util.List;
import java.util.Map;

/**
 * The registry of controller types a regime file may name: "plateau_lr", "caution_lr", "curvature_cap", "momentum",
 * "weight_decay", "zclip", "batch", "shift", "spike", "reduce_on_plateau". Each is built from its params with
 * documented defaults (docs/regime.md); an unknown type, an unknown field or a value out of range is an
 * IllegalArgumentException that names where the spec came from, the field and what is allowed.
 */
public final class Controllers {
    /** The type names, in the order docs/regime.md lists them. */
    public static final List<String> TYPES = List.of(PlateauLr.TYPE, CautionLr.TYPE, CurvatureCap.TYPE,
            Momentum.TYPE, WeightDecay.TYPE, ZClipCtl.TYPE, Batch.TYPE, Shift.TYPE, Spike.TYPE, ReduceOnPlateau.TYPE);

    private Controllers() {}

    /**
     * The controller spec describes; where names it in errors, e.g. "adaptive.json: controllers[2]".
     *
     * @throws IllegalArgumentException for an unknown type or a bad param
     */
    public static Controller<?> create(RegimeSpec.ControllerSpec spec, String where) {
        if (spec == null || spec.type() == null) {
            throw new IllegalArgumentException(where + ": field type is missing; allowed: one of "
                    + String.join(", ", TYPES));
        }
        Map<String, Object> p = spec.params();
        String w = where + " (" + spec.type() + ")";
        return switch (spec.type()) {
            case PlateauLr.TYPE -> PlateauLr.create(p, w);
            case CautionLr.TYPE -> CautionLr.create(p, w);
            case CurvatureCap.TYPE -> CurvatureCap.create(p, w);
            case Momentum.TYPE -> Momentum.create(p, w);
            case WeightDecay.TYPE -> WeightDecay.create(p, w);
            case ZClipCtl.TYPE -> ZClipCtl.create(p, w);
            case Batch.TYPE -> Batch.create(p, w);
            case Shift.TYPE -> Shift.create(p, w);
            case Spike.TYPE -> Spike.create(p, w);
            case ReduceOnPlateau.TYPE -> ReduceOnPlateau.create(p, w);
            default -> throw new IllegalArgumentException(where + ": type \"" + spec.type() + "\" is not allowed;"
                    + " allowed: one of " + String.join(", ", TYPES));
        };
    }
}
