#!/usr/bin/env bash
# Packs `./tiller bench` to run on another machine that has neither a JDK nor Maven (a lent machine with a
# different CPU, say AVX-512), beside the PyTorch peer there.
#
#   scripts/portable-bench.sh [DIR]     (default .build/portable; about 50 MB)
#
# DIR then holds a jlink'd Java runtime, the module jars, the PyTorch peer (scripts/torch_peer.py) and run.sh.
# Copy DIR over and run
#   DIR/run.sh [WORKLOAD...]             (ROUNDS=2 by default, CORES=2,3 by default)
# which alternates Tiller and the peer, both pinned to the same two cores with taskset, and prints each key with both
# medians and the median ratio, as scripts/compare.sh does here. The peer needs PyTorch on that machine (see the
# header of scripts/torch_peer.py); without it run.sh reports Tiller's figures alone. DIR/tests.sh runs
# the tensor module's tests there through JUnit's console launcher (needs `./tiller test` or
# `mvn test-compile` to have run here first, and mvn to fetch the launcher jar from Maven Central if it is not
# in ~/.m2): the kernels then run at that machine's vector width.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
dir=${1:-.build/portable}
./tiller bench build-only >/dev/null 2>&1 || true     # builds the jars if sources changed (then: unknown workload)
JDK=""
for c in ${JAVA_HOME:-} /usr/lib/jvm/*; do
  v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$c/release" 2>/dev/null || true)
  if [ -x "$c/bin/jlink" ] && [ -n "$v" ] && [ "$v" -ge 25 ]; then JDK=$c; break; fi
done
[ -n "$JDK" ] || { echo "portable-bench: no JDK 25 or newer with jlink found (JAVA_HOME, /usr/lib/jvm)" >&2; exit 2; }
rm -rf "$dir" && mkdir -p "$dir/lib" "$dir/test"
modules=java.base,java.logging,java.management,jdk.management,jdk.unsupported,jdk.jfr,jdk.incubator.vector
"$JDK/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress zip-9 \
  --output "$dir/jre" 2>&1 | grep -v WARNING || true
for m in tensor autograd optim models policy cli bench; do
  cp "$m"/target/tiller-"$m"-*.jar "$dir/lib/"
done
cp scripts/torch_peer.py "$dir/"
if [ -d tensor/target/test-classes ]; then
  cp -r tensor/target/test-classes "$dir/test/"
  m2=${MAVEN_REPO:-$HOME/.m2/repository}
  launcher=$m2/org/junit/platform/junit-platform-console-standalone/1.14.1/junit-platform-console-standalone-1.14.1.jar
  [ -f "$launcher" ] || (cd "$ROOT" && JAVA_HOME=$JDK mvn -q dependency:get \
      -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.1 >/dev/null 2>&1) || true
  [ -f "$launcher" ] && cp "$launcher" "$dir/test/"
  cp "$m2"/org/quicktheories/quicktheories/0.26/quicktheories-0.26.jar "$dir/test/" 2>/dev/null || true
fi
# The launcher's JVM_FLAGS (./tiller), which the kernels' speed depends on.
FLAGS='--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC'
FLAGS+=' -XX:CompileCommand=quiet'
FLAGS+=' -XX:CompileCommand=dontinline,dev.tiller.tensor.kernel.*::*Pass'
FLAGS+=' -XX:CompileCommand=dontinline,dev.tiller.tensor.kernel.SimdGemm::*'
set -f; FLAGS=$(printf "'%s' " $FLAGS); set +f           # quoted, so the scripts' shells do not glob the *s
cat > "$dir/run.sh" <<EOF
#!/usr/bin/env bash
# Alternates Tiller's bench and the PyTorch peer ROUNDS times on CORES; medians and the median ratio per key.
set -u
D=\$(cd "\$(dirname "\$0")" && pwd)
CP=\$(ls "\$D"/lib/*.jar | tr '\n' ':')
JAVA=("\$D/jre/bin/java" $FLAGS -Xmx8g -cp "\$CP" dev.tiller.bench.Main)
rounds=\${ROUNDS:-2}; cores=\${CORES:-2,3}
tmp=\$(mktemp -d); trap 'rm -rf "\$tmp"' EXIT
for r in \$(seq 1 "\$rounds"); do
  taskset -c "\$cores" "\${JAVA[@]}" "\$@" 2>/dev/null > "\$tmp/ours.\$r"
  taskset -c "\$cores" python3 "\$D/torch_peer.py" --threads 2 "\$@" > "\$tmp/peer.\$r" 2>/dev/null \\
    || rm -f "\$tmp/peer.\$r"
done
python3 - "\$tmp" "\$rounds" <<'PY'
import os, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
def kv(p):
    if not os.path.exists(p): return {}
    return {l.split()[0]: float(l.split()[1]) for l in open(p) if len(l.split()) == 2}
O = [kv(f"{tmp}/ours.{r}") for r in range(1, rounds + 1)]
P = [kv(f"{tmp}/peer.{r}") for r in range(1, rounds + 1)]
for k in sorted(set().union(*O)):
    a = [o[k] for o in O if k in o]; b = [p[k] for p in P if k in p]
    ratios = [o[k] / p[k] for o, p in zip(O, P) if k in o and k in p and p[k]]
    fb = f"{statistics.median(b):.4g}" if b else "-"
    fr = f"{statistics.median(ratios):.2f}" if ratios else "-"
    print(f"{k:32} {statistics.median(a):>12.4g} {fb:>12} {fr:>8}")
PY
EOF
cat > "$dir/tests.sh" <<EOF
#!/usr/bin/env bash
# The tensor module's tests on this machine's vector width (the two that scan the source tree fail unless run
# from a checkout: the sources are not copied).
D=\$(cd "\$(dirname "\$0")" && pwd)
CP=\$D/test/junit-platform-console-standalone-1.14.1.jar:\$D/test/test-classes
CP=\$CP:\$(ls "\$D"/lib/tiller-tensor-*.jar):\$D/test/quicktheories-0.26.jar
exec "\$D/jre/bin/java" $FLAGS -Xmx2g -cp "\$CP" org.junit.platform.console.ConsoleLauncher execute \\
  --scan-class-path "\$D/test/test-classes" --exclude-tag soak --details=summary --disable-banner
EOF
chmod +x "$dir/run.sh" "$dir/tests.sh"
echo "portable bench in $dir ($(du -sh "$dir" | cut -f1)): copy it over, then run $dir/run.sh [WORKLOAD...]"
