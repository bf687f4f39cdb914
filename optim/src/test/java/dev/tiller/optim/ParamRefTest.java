package dev.tiller.optim;

import dev.tiller.autograd.F;
import dev.tiller.autograd.Variable;
import dev.tiller.tensor.Tensor;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

class ParamRefTest {
    @Test
    void clearGradThroughTheVariableGivesTheFreshGradientAndZerosWhereNoneCame() {
        Variable w = Variable.param("w", Tensor.of(new float[] {1, 2}, 2));
        Variable u = Variable.param("u", Tensor.of(new float[] {3}, 1));
        ParamRef pw = ParamRef.of("w", w);
        ParamRef pu = ParamRef.of("u", u);
        assertSame(w, pw.source());
        F.sum(F.mul(w, w)).backward();
        F.sum(u).backward();
        assertArrayEquals(new float[] {2, 4}, pw.grad().toFloatArray());

        pw.clearGrad();
        pu.clearGrad();
        F.sum(F.scale(w, 3f)).backward();              // only w is reached this step
        pw.settleGrad();
        pu.settleGrad();
        assertArrayEquals(new float[] {3, 3}, pw.grad().toFloatArray(), "copied in, not added to {2, 4}");
        assertArrayEquals(new float[] {0}, pu.grad().toFloatArray(), "no gradient came: zero");
    }

    @Test
    void clearGradWithoutAVariableWritesZeros() {
        ParamRef p = new ParamRef("p", Tensor.zeros(3), Tensor.ones(3));
        p.clearGrad();
        p.settleGrad();
        assertArrayEquals(new float[] {0, 0, 0}, p.grad().toFloatArray());
    }
}
