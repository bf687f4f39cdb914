package dev.tiller.optim;

import dev.tiller.tensor.Allocator;
import dev.tiller.tensor.Allocators;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Map;

/**
 * Muon, momentum orthogonalised by Newton-Schulz (Keller Jordan 2024, "Muon: An optimizer for hidden layers in
 * neural networks"; Liu et al. 2025, arXiv 2502.16982, for the AdamW-matching learning-rate rule), with the
 * semantics of torch.optim.Muon in PyTorch 2.11, for 2-D parameters only (biases, norms and embeddings belong to
 * another optimizer). With g the gradient, B the "momentum_buffer" and gamma = lr:
 * <pre>
 *   B = lerp(B, g, 1 - mu)                      (= mu B + (1 - mu) g)
 *   B~ = lerp(g, B, mu) if nesterov, else B     (= (1 - mu) g + mu B)
 *   O = NS_steps^(a,b,c)(B~; eps)               (see {@link NewtonSchulz})
 *   theta = theta * (1 - gamma lambda)          (decoupled weight decay)
 *   theta = theta - gamma * adjust(A, B) * O    (A x B the parameter's shape)
 * </pre>
 * NOTE: PyTorch runs Newton-Schulz in bfloat16; this runs it in float32 (the golden reference does the same), so
 * the update is the mathematically intended one rather than bfloat16's approximation of it.
 */
public final class Muon extends AbstractOptimizer<MuonHyper, Muon.MuonState> {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;

    /**
     * "momentum_buffer", the parameter's Newton-Schulz workspace and a scratch tensor for the orthogonalised update.
     */
    record MuonState(StateSlot buffer, NewtonSchulz newtonSchulz, Tensor scratch) {}

    public Muon(List<ParamGroup<MuonHyper>> groups, Map<String, StatePrecision> precisions, Allocator alloc,
                long seed) {
        super("Muon", groups, precisions, alloc, seed);
        for (ParamRef p : allParams()) {
            int[] s = p.value().shape();
            if (s.length != 2 || s[0] == 0 || s[1] == 0) {
                throw new IllegalArgumentException("Muon: parameter '" + p.name() + "' is " + Shape.str(s)
                        + "; Muon only supports non-empty 2-D parameters; hint: optimize biases, norms and"
                        + " other non-matrix parameters with AdamW in a second optimizer");
            }
        }
        declareState(p -> new MuonState(slot("momentum_buffer", p), new NewtonSchulz(p.value().shape()[0],
                p.value().shape()[1]), Tensor.allocate(Allocators.auto(), DType.F32, p.value().shape())));
    }

    /** One group, float32 state. */
    public Muon(List<ParamRef> params) {
        this(List.of(ParamGroup.of("default", params)), Map.of(), null, 0);
    }

    @Override
    protected void update(ParamRef p, MuonState state, MuonHyper h, long t) {
        MemorySegment w = p.value().segment();
        MemorySegment gs = p.grad().segment();
        long wo = p.value().offset();
        long go = p.grad().offset();
        long n = p.numel();
        StateSlot slot = state.buffer();
        Tensor bt = slot.open();
        MemorySegment b = bt.segment();
        long bo = bt.offset();
        Tensor ut = state.scratch();
        MemorySegment u = ut.segment();
        float mu = h.momentum();
        float oneMinusMu = 1f - mu;
        for (long i = 0; i < n; i++) {
            float g = gs.getAtIndex(F32, go + i);
            float buf = Adafactor.lerp(b.getAtIndex(F32, bo + i), g, oneMinusMu);
            b.setAtIndex(F32, bo + i, buf);
            u.setAtIndex(F32, i, h.nesterov() ? Adafactor.lerp(g, buf, mu) : buf);
        }
        slot.commit(t);
        state.newtonSchulz().orthogonalize(u, 0, u, 0, h.nsA(), h.nsB(), h.nsC(), h.nsSteps(), h.eps());
        int[] s = p.value().shape();
        float decay = (float) (1.0 - (double) h.lr() * h.weightDecay());
        float step = (float) (-(double) h.lr() * h.adjustLr().ratio(s[0], s[1]));
        for (long i = 0; i < n; i++) {
            float wi = w.getAtIndex(F32, wo + i) * decay;
            w.setAtIndex(F32, wo + i, wi + step * u.getAtIndex(F32, i));
        }
    }
}
