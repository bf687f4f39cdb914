#!/usr/bin/env bash
# Alternates `./tiller bench` and the project's PyTorch peer (scripts/torch_peer.py) ROUNDS times (default 3) on this
# machine, then prints every key with both medians and the median of the per-round ratios Tiller/PyTorch. For times
# (`_step_s`) lower is better, for rates (`_gflops`, `_per_s`) higher is better. Single figures on a shared machine
# swing from minute to minute: quote the median ratio of one run, never absolute times from different runs.
# Usage, from anywhere: [ROUNDS=3] scripts/compare.sh [WORKLOAD...]   (workload names as `./tiller bench` takes them)
# Needs the peer's dependencies: apt-get install -y python3-torch libopenblas0-pthread (see scripts/torch_peer.py).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
PY=/usr/bin/python3                       # Debian's python3-torch installs for the system interpreter
[ -x "$PY" ] || PY=python3
"$PY" -c "import torch" 2>/dev/null \
  || { echo "compare: PyTorch missing: apt-get install -y python3-torch libopenblas0-pthread" >&2; exit 2; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$rounds"); do
  ./tiller bench "$@" > "$tmp/t.$r" || { echo "compare: ./tiller bench failed" >&2; exit 1; }
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$PY" scripts/torch_peer.py "$@" > "$tmp/p.$r" \
    || { echo "compare: scripts/torch_peer.py failed" >&2; exit 1; }
  echo "round $r of $rounds done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done
"$PY" - "$tmp" "$rounds" <<'PY'
import statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def kv(path):
    out = {}
    for line in open(path):
        parts = line.split()
        if len(parts) == 2:
            try:
                out[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return out
T = [kv(f"{tmp}/t.{r}") for r in range(1, rounds + 1)]
P = [kv(f"{tmp}/p.{r}") for r in range(1, rounds + 1)]
shared = [k for k in T[0] if any(k in p for p in P)]
print(f"{'key':28} {'tiller':>12} {'pytorch':>12} {'ratio':>7}   (medians of {rounds} alternating rounds)")
for k in shared:
    t = [x[k] for x in T if k in x]
    p = [x[k] for x in P if k in x]
    ratios = [a[k] / b[k] for a, b in zip(T, P) if k in a and k in b and b[k]]
    ratio = f"{statistics.median(ratios):.2f}" if ratios else "-"
    print(f"{k:28} {statistics.median(t):>12.4g} {statistics.median(p):>12.4g} {ratio:>7}")
for side, runs in (("tiller", T), ("pytorch", P)):
    only = [k for k in dict.fromkeys(k for x in runs for k in x) if k not in shared]
    if only:
        print(f"{side} only: " + ", ".join(f"{k} {statistics.median(x[k] for x in runs if k in x):.4g}" for k in only))
PY
