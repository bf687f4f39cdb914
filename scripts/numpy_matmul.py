#!/usr/bin/env python3
"""NumPy/OpenBLAS SGEMM peer for `./tiller bench matmul`: C = A.B for square float32 matrices of side 256 and 1024,
3 warm-up products, then the median of 50 (256) or 10 (1024) timed ones; prints the same keys as the bench.
Run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (see scripts/compare-matmul.sh)."""
import time
import numpy as np


def gflops(n, reps):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    for _ in range(3):
        a @ b
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t)
    ts.sort()
    return 2 * n ** 3 / ts[len(ts) // 2] / 1e9


for n, reps in ((256, 50), (1024, 10)):
    print(f"matmul_{n}_gflops {gflops(n, reps):.4g}")
