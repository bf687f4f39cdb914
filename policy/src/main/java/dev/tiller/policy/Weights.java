package dev.tiller.policy;

import dev.tiller.optim.ParamRef;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.tensor.Shape;
import dev.tiller.tensor.Tensor;
import dev.tiller.tensor.io.Safetensors;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's weights in safetensors, the format PyTorch and the Hugging Face tools read: exported from a checkpoint,
 * and read in as a run's initial weights. Names are the model's parameter names ({@code Module#namedParameters}),
 * shapes and layouts as Tiller stores them (a Linear weight is (in, out), the transpose of torch.nn.Linear's).
 */
public final class Weights {
    private static final String PARAM = "param/";

    private Weights() {}

    /** Writes the parameters saved in checkpoint to file, with metadata (the step, and any extra entries). */
    public static int export(CheckpointFile.Loaded checkpoint, Path file, Map<String, String> metadata)
            throws IOException {
        Map<String, Tensor> params = new LinkedHashMap<>();
        checkpoint.tensors().forEach((k, t) -> {
            if (k.startsWith(PARAM)) {
                params.put(k.substring(PARAM.length()), t);
            }
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("tiller_step", Long.toString(checkpoint.step()));
        meta.putAll(metadata);
        Safetensors.write(file, params, meta);
        return params.size();
    }

    /**
     * Copies the tensors of a safetensors file into params, by name: every parameter must be there with its dtype and
     * shape, and the file may hold nothing else; otherwise nothing is copied and the error names the tensor and both
     * shapes (or the names missing and extra).
     */
    public static void load(Path file, List<ParamRef> params) {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> saved = Safetensors.read(file, arena).tensors();
            List<String> missing = new ArrayList<>();
            for (ParamRef p : params) {
                Tensor t = saved.get(p.name());
                if (t == null) {
                    missing.add(p.name());
                } else if (t.dtype() != p.value().dtype() || !Shape.same(t.shape(), p.value().shape())) {
                    throw new IllegalArgumentException(file + ": tensor '" + p.name() + "' is " + t.describe()
                            + " but the model's is " + p.value().describe());
                }
            }
            List<String> extra = new ArrayList<>(saved.keySet());
            params.forEach(p -> extra.remove(p.name()));
            if (!missing.isEmpty() || !extra.isEmpty()) {
                throw new IllegalArgumentException(file + ": does not hold this model's weights"
                        + (missing.isEmpty() ? "" : "; missing " + missing)
                        + (extra.isEmpty() ? "" : "; not in the model " + extra));
            }
            for (ParamRef p : params) {
                p.value().copyFrom(saved.get(p.name()));
            }
        }
    }

    /** The SHA-256 of file's bytes, in lower-case hex. */
    public static String sha256(Path file) throws IOException {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
        try (DigestInputStream in = new DigestInputStream(Files.newInputStream(file), md)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
