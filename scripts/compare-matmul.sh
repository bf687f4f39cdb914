#!/usr/bin/env bash
# Alternates `./tiller bench matmul` and the NumPy/OpenBLAS peer ROUNDS times (default 5) on this machine and prints
# each round, then the medians and the median of the per-round ratios Tiller/NumPy (GFLOP/s: higher is better).
# Usage, from the project root: [ROUNDS=5] scripts/compare-matmul.sh   (needs python3 with numpy)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
python3 -c "import numpy" 2>/dev/null || { echo "compare-matmul: python3 with numpy is needed for the peer" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
  ./tiller bench matmul 2>/dev/null > "$tmp/t.$r"
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python3 scripts/numpy_matmul.py > "$tmp/n.$r"
  echo "round $r (load $(cut -d' ' -f1 /proc/loadavg)): tiller $(tr '\n' ' ' < "$tmp/t.$r")| numpy $(tr '\n' ' ' < "$tmp/n.$r")"
done
python3 - "$tmp" "$rounds" <<'PY'
import statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def kv(p):
    return {l.split()[0]: float(l.split()[1]) for l in open(p) if len(l.split()) == 2}
T = [kv(f"{tmp}/t.{r}") for r in range(1, rounds + 1)]
N = [kv(f"{tmp}/n.{r}") for r in range(1, rounds + 1)]
for k in ("matmul_256_gflops", "matmul_1024_gflops"):
    ratios = [t[k] / n[k] for t, n in zip(T, N)]
    print(f"{k}: tiller {statistics.median(t[k] for t in T):.4g}, numpy {statistics.median(n[k] for n in N):.4g},"
          f" median ratio {statistics.median(ratios):.2f} ({rounds} rounds)")
PY
