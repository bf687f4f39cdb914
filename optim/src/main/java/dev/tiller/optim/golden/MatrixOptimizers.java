package dev.tiller.optim.golden;

import dev.tiller.optim.ParamRef;
import dev.tiller.tensor.io.GoldenCase;

import java.util.List;

/**
 * Golden-case factories for optimizers whose state or update works on whole matrices: Adafactor (factored second
 * moments), Muon (Newton-Schulz orthogonalisation) and Shampoo (Kronecker-factored preconditioners).
 */
final class MatrixOptimizers implements OptimizerFactory {
    @Override
    public Stepper create(GoldenCase c, String optimizer, List<ParamRef> params) {
        return null;    // TODO(#4): Adafactor, Muon, Shampoo
    }
}
