package dev.tiller.autograd;

import dev.tiller.tensor.DType;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.ShapeMismatchException;
import dev.tiller.tensor.Tensor;

/** Movement ops: they reorder or regroup elements; their gradients move dOut back the same way. */
final class ShapeOps {
    private ShapeOps() {}

    /** out = x.reshape(shape): a view when x is contiguous. dX = dOut.reshape(x.shape). */
    static final class Reshape implements Op {
        private final int[] shape;

        Reshape(int[] shape) {
            this.shape = shape.clone();
        }

        @Override
        public String name() {
            return "reshape";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0].shape());
            return in[0].reshape(shape);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {dOut.reshape((int[]) saved.get(0))};
        }
    }

    /** out = x.permute(dims), a view. dX = dOut.permute(inverse of dims). */
    static final class Permute implements Op {
        private final int[] dims;

        Permute(int[] dims) {
            this.dims = dims.clone();
        }

        @Override
        public String name() {
            return "permute";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return in[0].permute(dims);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            int[] inv = new int[dims.length];
            for (int i = 0; i < dims.length; i++) {
                inv[Shape.axis("permute", dims[i], dims.length)] = i;
            }
            return new Tensor[] {dOut.permute(inv)};
        }
    }

    /** out = x[..., start:end:step, ...] along dim, a view. dX: zeros with dOut written into the slice. */
    static final class Slice implements Op {
        private final int dim;
        private final int start;
        private final int end;
        private final int step;

        Slice(int dim, int start, int end, int step) {
            this.dim = dim;
            this.start = start;
            this.end = end;
            this.step = step;
        }

        @Override
        public String name() {
            return "slice";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            saved.keep(in[0].shape());
            return in[0].slice(dim, start, end, step);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            Tensor dX = Tensor.zeros((int[]) saved.get(0));
            dX.slice(dim, start, end, step).copyFrom(dOut);
            return new Tensor[] {dX};
        }
    }

    /** out = concatenation of the inputs along dim (all other dims equal). dX_i = the matching slice of dOut. */
    static final class Cat implements Op {
        private final int dim;

        Cat(int dim) {
            this.dim = dim;
        }

        @Override
        public String name() {
            return "cat";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            if (in.length == 0) {
                throw new IllegalArgumentException("cat: needs at least one tensor");
            }
            int[] first = in[0].shape();
            int d = Shape.axis("cat", dim, first.length);
            int total = 0;
            int[] sizes = new int[in.length];
            for (int i = 0; i < in.length; i++) {
                int[] s = in[i].shape();
                boolean ok = s.length == first.length;
                for (int k = 0; ok && k < s.length; k++) {
                    ok = k == d || s[k] == first[k];
                }
                if (!ok) {
                    throw new ShapeMismatchException("cat", "tensors equal in every dim but " + d,
                            "tensor 0 " + Shape.str(first) + " and tensor " + i + " " + Shape.str(s), null);
                }
                if (in[i].dtype() != DType.F32) {
                    throw new IllegalArgumentException("cat: tensor " + i + " is " + in[i].dtype().shortName()
                            + "; expected f32");
                }
                sizes[i] = s[d];
                total += s[d];
            }
            int[] outShape = first.clone();
            outShape[d] = total;
            Tensor out = Tensor.empty(DType.F32, outShape);
            int at = 0;
            for (int i = 0; i < in.length; i++) {
                out.slice(d, at, at + sizes[i]).copyFrom(in[i]);
                at += sizes[i];
            }
            saved.keep(sizes, d);
            return out;
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            int[] sizes = (int[]) saved.get(0);
            int d = (Integer) saved.get(1);
            Tensor[] g = new Tensor[sizes.length];
            int at = 0;
            for (int i = 0; i < sizes.length; i++) {
                g[i] = needsGrad[i] ? dOut.slice(d, at, at + sizes[i]) : null;
                at += sizes[i];
            }
            return g;
        }
    }

    /** out = x broadcast to shape (a view with stride 0). dX = dOut summed back, done by the engine. */
    static final class Expand implements Op {
        private final int[] shape;

        Expand(int[] shape) {
            this.shape = shape.clone();
        }

        @Override
        public String name() {
            return "expand";
        }

        @Override
        public Tensor forward(Saved saved, Tensor... in) {
            return in[0].expand(shape);
        }

        @Override
        public Tensor[] backward(Saved saved, Tensor dOut, boolean[] needsGrad) {
            return new Tensor[] {dOut};    // the engine reduces the broadcast dims
        }
    }
}
