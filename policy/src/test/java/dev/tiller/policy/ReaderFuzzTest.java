package dev.tiller.policy;

import dev.tiller.policy.checkpoint.CheckpointException;
import dev.tiller.policy.checkpoint.CheckpointFile;
import dev.tiller.policy.checkpoint.CheckpointRing;
import dev.tiller.policy.checkpoint.Storage;
import dev.tiller.policy.recipe.Recipe;
import dev.tiller.policy.recipe.RunConfig;
import dev.tiller.policy.regime.RegimeSpec;
import dev.tiller.optim.StatePrecision;
import dev.tiller.tensor.DType;
import dev.tiller.tensor.io.Json;
import dev.tiller.testsupport.Fuzz;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every reader of files a user or an attacker can hand Tiller, fed generated damage: the checkpoint reader (damaged
 * manifests and data), a checkpoint whose manifest was rewritten with a valid checksum (a crafted state restored
 * into a run), regime files and run configurations. Each input is read or refused with the reader's own typed error
 * (CheckpointException; IllegalArgumentException naming the file for the JSON readers); never another exception
 * or a hang. 1,000 inputs per reader in CI (200 crafted states), 10,000 with ./tiller test all.
 */
class ReaderFuzzTest {
    @Test
    void sample(@TempDir Path dir) throws IOException {
        fuzz(dir, 1_000, 200);
    }

    @Tag("soak")
    @Test
    void full(@TempDir Path dir) throws IOException {
        fuzz(dir, 10_000, 10_000);
    }

    private static void fuzz(Path dir, int n, int crafted) throws IOException {
        checkpoints(dir, n, crafted);
        regimeFiles(dir, n);
        runConfigs(dir, n);
    }

    private static void checkpoints(Path dir, int n, int crafted) throws IOException {
        Path run = dir.resolve("run");
        ResumeHarness h = ResumeHarness.adaptive();
        h.run(run, 20, null);
        CheckpointRing ring = new CheckpointRing(run.resolve("checkpoints"), 3, Storage.disk());
        Path ck = ring.folder(ring.steps().get(0));
        byte[] manifest = Files.readAllBytes(ck.resolve(CheckpointFile.MANIFEST));
        byte[] data = Files.readAllBytes(ck.resolve(CheckpointFile.DATA));
        SplittableRandom rnd = new SplittableRandom(n);
        int refused = 0;
        for (int i = 0; i < n; i++) {
            boolean hitManifest = rnd.nextBoolean();
            Files.write(ck.resolve(CheckpointFile.MANIFEST), hitManifest ? Fuzz.damage(manifest, rnd) : manifest);
            Files.write(ck.resolve(CheckpointFile.DATA), hitManifest ? data : Fuzz.damage(data, rnd));
            try (CheckpointFile.Loaded l = CheckpointFile.read(ck)) {
                Objects.requireNonNull(l);
            } catch (CheckpointException e) {
                refused++;
            }
        }
        Files.write(ck.resolve(CheckpointFile.DATA), data);
        String text = new String(manifest, StandardCharsets.UTF_8);
        String body = text.substring("{\"body\":".length(), text.length() - ",\"crc32c\":\"00000000\"}\n".length());
        int craftedRefused = 0;
        int craftedRead = 0;
        for (int i = 0; i < crafted; i++) {
            byte[] b = Fuzz.damage(body.getBytes(StandardCharsets.UTF_8), rnd);
            CRC32C crc = new CRC32C();
            crc.update(b);
            String framed = "{\"body\":" + new String(b, StandardCharsets.ISO_8859_1) + ",\"crc32c\":\""
                    + String.format("%08x", crc.getValue()) + "\"}\n";
            Files.write(ck.resolve(CheckpointFile.MANIFEST), framed.getBytes(StandardCharsets.ISO_8859_1));
            try {
                if (h.resumeInto(ck)) {
                    craftedRead++;
                }
            } catch (CheckpointException e) {
                craftedRefused++;
            }
        }
        System.out.printf("checkpoint fuzz: %d damaged files, %d refused (CheckpointException), %d read; %d crafted"
                + " states with valid checksums, %d refused, %d restored; no other exception%n", n, refused,
                n - refused, crafted, craftedRefused, craftedRead);
        assertEquals(crafted, craftedRefused + craftedRead);
    }

    private static void regimeFiles(Path dir, int n) throws IOException {
        byte[] seed;
        try (InputStream in = RegimeSpec.class.getResourceAsStream("adaptive.json")) {
            seed = Objects.requireNonNull(in).readAllBytes();
        }
        SplittableRandom rnd = new SplittableRandom(n + 1);
        Path f = dir.resolve("fuzzed-regime.json");
        int refused = 0;
        for (int i = 0; i < n; i++) {
            Files.write(f, Fuzz.damage(seed, rnd));
            try {
                RegimeSpec.resolve(f.toString());
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
                refused++;
            }
        }
        System.out.printf("regime file fuzz: %d inputs, %d refused naming the file, %d read%n", n, refused,
                n - refused);
    }

    private static void runConfigs(Path dir, int n) {
        RunConfig base = new RunConfig("gpt", "jdk-shift", 1500, 16, 1, 1, 7, 2, 100, DType.BF16, StatePrecision.Q8,
                700L, 2, "adaptive", "nan-grad@700", Recipe.defaults("gpt", 1500, null));
        byte[] seed = Json.write(Map.of("run", base.toJson())).getBytes(StandardCharsets.UTF_8);
        SplittableRandom rnd = new SplittableRandom(n + 2);
        int refused = 0;
        for (int i = 0; i < n; i++) {
            String text = new String(Fuzz.damage(seed, rnd), StandardCharsets.UTF_8);
            try {
                if (Json.parse(text, "config.json") instanceof Map<?, ?> top && top.get("run") instanceof Map<?, ?> r) {
                    RunConfig.fromJson(r, "config.json: run");
                } else {
                    refused++;
                }
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().contains("config.json"), e.getMessage());
                refused++;
            }
        }
        System.out.printf("run config fuzz: %d inputs, %d refused naming the file, %d read%n", n, refused, n - refused);
    }
}
