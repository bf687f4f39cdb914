package dev.tiller.policy.regime;

import java.util.List;

/**
 * The controller registry: builds a controller from its regime-file entry. This version knows the controller type
 * names and builds each as one that proposes nothing; the full registry replaces it with the same API.
 */
public final class Controllers {
    /** The type names regime files may use. */
    public static final List<String> TYPES = List.of("plateau_lr", "caution_lr", "curvature_cap", "momentum",
            "weight_decay", "zclip", "batch", "shift", "spike");

    private Controllers() {}

    /** The controller spec describes; where (e.g. "adaptive.json: controllers[2]") starts every error message. */
    public static Controller<?> create(RegimeSpec.ControllerSpec spec, String where) {
        if (!TYPES.contains(spec.type())) {
            throw new IllegalArgumentException(where + ".type: unknown controller type '" + spec.type()
                    + "'; types are " + String.join(", ", TYPES));
        }
        return new Controller<Integer>() {
            @Override
            public String name() {
                return spec.type();
            }

            @Override
            public Integer initial() {
                return 0;
            }

            @Override
            public Output<Integer> decide(long step, Signals signals, Knobs knobs, Integer state) {
                return new Output<>(state, List.of());
            }
        };
    }
}
