#!/usr/bin/env python3
"""Tiller's PyTorch peer: the reference workloads of docs/workloads.md in PyTorch (CPU, float32), printing the same
`key value` lines as `./tiller bench`, so that scripts/compare.sh can set the two side by side on one machine.

Usage, from the project root:
    /usr/bin/python3 scripts/torch_peer.py [--threads N] [WORKLOAD...]
WORKLOAD is any of matmul, mlp, convnet, gpt, gpt_d512, gpt_d1024, adamw (default: all, in that order); threads
defaults to 2, as the bench.

Dependencies on Debian (bookworm or newer), as root:
    apt-get install -y python3-torch libopenblas0-pthread
Without libopenblas0-pthread Debian's PyTorch runs its products on the reference BLAS, dozens of times slower:
not a fair peer. OpenBLAS must see neither OPENBLAS_CORETYPE nor OPENBLAS_L2_SIZE (they pin a slower kernel); this
script drops both from its environment before PyTorch loads OpenBLAS, which is the same as running it under
`env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`.

Measurement, as `./tiller bench` does it: each workload runs its warm-up steps, then reports the median of its timed
steps (time.perf_counter around one whole step). Training steps are: drop the gradients (set to None), forward,
cross-entropy against fixed random targets, backward, one AdamW step.
"""
import argparse
import os
import statistics
import sys
import time

for _name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
    os.environ.pop(_name, None)


def median_seconds(step, warm, timed):
    """Runs step warm times untimed, then timed times; the median wall time of the timed runs in seconds."""
    for _ in range(warm):
        step()
    times = []
    for _ in range(timed):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def build(torch, nn, F):
    """The workload models and steps; defined inside a function so that --help works without PyTorch."""

    class Mlp(nn.Module):
        """784-1024-1024-10 with ReLU between the layers."""

        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(784, 1024), nn.Linear(1024, 1024), nn.Linear(1024, 10)])

        def forward(self, x):
            for i, layer in enumerate(self.layers):
                x = layer(x)
                if i < len(self.layers) - 1:
                    x = torch.relu(x)
            return x

    class ConvNet(nn.Module):
        """Three [conv3x3 pad 1 -> ReLU -> maxpool 2] stages (32, 64, 128 channels), flatten, 256 -> ReLU -> 10."""

        def __init__(self, in_channels=3, side=32, classes=10):
            super().__init__()
            channels = [in_channels, 32, 64, 128]
            self.convs = nn.ModuleList(nn.Conv2d(channels[i], channels[i + 1], 3, padding=1) for i in range(3))
            flat = 128 * (side // 8) ** 2
            self.hidden = nn.Linear(flat, 256)
            self.out = nn.Linear(256, classes)

        def forward(self, x):
            for conv in self.convs:
                x = F.max_pool2d(torch.relu(conv(x)), 2)
            return self.out(torch.relu(self.hidden(torch.flatten(x, 1))))

    class Block(nn.Module):
        """Pre-LayerNorm block: x + attention(ln1(x)), then x + mlp(ln2(x)); the MLP is 4x wide with exact GELU."""

        def __init__(self, width, heads, context):
            super().__init__()
            self.heads = heads
            self.ln1 = nn.LayerNorm(width)
            self.qkv = nn.Linear(width, 3 * width)
            self.proj = nn.Linear(width, width)
            self.ln2 = nn.LayerNorm(width)
            self.fc = nn.Linear(width, 4 * width)
            self.fc2 = nn.Linear(4 * width, width)
            self.register_buffer("future", torch.ones(context, context, dtype=torch.bool).triu(1), persistent=False)

        def attention(self, x):
            b, t, c = x.shape
            hs = c // self.heads
            q, k, v = self.qkv(x).view(b, t, 3, self.heads, hs).permute(2, 0, 3, 1, 4)   # each (B, H, T, hs)
            scores = torch.matmul(q, k.transpose(-1, -2)) * hs ** -0.5
            probs = torch.softmax(scores.masked_fill(self.future[:t, :t], float("-inf")), dim=-1)
            y = torch.matmul(probs, v).transpose(1, 2).reshape(b, t, c)
            return self.proj(y)

        def forward(self, x):
            x = x + self.attention(self.ln1(x))
            return x + self.fc2(F.gelu(self.fc(self.ln2(x))))

    class Gpt(nn.Module):
        """Byte-level decoder: token + learned position embeddings, blocks, final LayerNorm, untied head, no bias."""

        def __init__(self, vocab=256, context=128, width=256, depth=4, heads=4):
            super().__init__()
            self.tokens = nn.Embedding(vocab, width)
            self.positions = nn.Embedding(context, width)
            self.blocks = nn.ModuleList(Block(width, heads, context) for _ in range(depth))
            self.ln = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab, bias=False)

        def forward(self, idx):
            x = self.tokens(idx) + self.positions(torch.arange(idx.shape[1]))
            for block in self.blocks:
                x = block(x)
            return self.head(self.ln(x))

    def train_step(model, lr, inputs, targets):
        opt = torch.optim.AdamW(model.parameters(), lr=lr)

        def step():
            opt.zero_grad(set_to_none=True)
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
            loss.backward()
            opt.step()
        return step

    def matmul(put):
        for n, timed in ((256, 100), (1024, 10)):
            a, b, c = torch.randn(n, n), torch.randn(n, n), torch.empty(n, n)
            seconds = median_seconds(lambda: torch.matmul(a, b, out=c), warm=20, timed=timed)
            put(f"matmul_{n}_gflops", 2.0 * n ** 3 / seconds / 1e9)

    def mlp(put):
        model = Mlp()
        step = train_step(model, 1e-3, torch.randn(256, 784), torch.randint(0, 10, (256,)))
        put("mlp_step_s", median_seconds(step, warm=3, timed=10))

    def convnet(put):
        model = ConvNet()
        step = train_step(model, 1e-3, torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)))
        put("convnet_step_s", median_seconds(step, warm=3, timed=10))

    def gpt_at(width, heads, name, tokens_key):
        def run(put):
            model = Gpt(width=width, heads=heads)
            idx, targets = torch.randint(0, 256, (16, 128)), torch.randint(0, 256, (16, 128))
            seconds = median_seconds(train_step(model, 3e-4, idx, targets), warm=2, timed=5)
            put(f"{name}_step_s", seconds)
            if tokens_key:
                put(f"{name}_tokens_per_s", 16 * 128 / seconds)
        return run

    def adamw(put):
        params = [nn.Parameter(torch.randn(1 << 22)) for _ in range(4)]
        for p in params:
            p.grad = torch.randn(1 << 22)
        opt = torch.optim.AdamW(params, lr=1e-3, foreach=True)    # PyTorch's fastest CPU AdamW
        seconds = median_seconds(opt.step, warm=3, timed=10)
        put("adamw_16M_step_s", seconds)
        put("adamw_params_per_s", 4 * (1 << 22) / seconds)

    return {
        "matmul": matmul,
        "mlp": mlp,
        "convnet": convnet,
        "gpt": gpt_at(256, 4, "gpt", True),
        "gpt_d512": gpt_at(512, 8, "gpt_d512", False),
        "gpt_d1024": gpt_at(1024, 16, "gpt_d1024", False),
        "adamw": adamw,
    }


NAMES = ["matmul", "mlp", "convnet", "gpt", "gpt_d512", "gpt_d1024", "adamw"]


def main():
    parser = argparse.ArgumentParser(description="PyTorch peer of `./tiller bench` (see docs/workloads.md)")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (default 2, as the bench)")
    parser.add_argument("workloads", nargs="*", metavar="WORKLOAD", help="any of " + ", ".join(NAMES))
    args = parser.parse_args()
    unknown = [w for w in args.workloads if w not in NAMES]
    if unknown:
        parser.error(f"unknown workload {', '.join(unknown)}; known: {', '.join(NAMES)}")
    # Every thread pool gets the same count, the BLAS's included: it reads these when PyTorch loads it.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, str(args.threads))
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except ImportError:
        sys.exit("torch_peer: PyTorch is missing; on Debian: apt-get install -y python3-torch libopenblas0-pthread")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    workloads = build(torch, nn, F)

    def put(key, value):
        print(f"{key} {value:.4g}", flush=True)

    for name in args.workloads or NAMES:
        workloads[name](put)


if __name__ == "__main__":
    main()
