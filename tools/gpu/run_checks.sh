#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpacks .gpu-carry/mxpp.tar.xz (tools/gpu/build.sh), runs every
# GPU test program and the GPU benchmark beside PyTorch, and leaves five files in OUT (default ./gpu-out; the
# device tool brings back at most eight): machine.txt, tests.log, bench.log and the two benchmarks' JSON.
#   tools/gpu/run_checks.sh [--quick]
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
here=/tmp/mx
rm -rf "$here" && mkdir -p "$here" && tar xJf .gpu-carry/mxpp.tar.xz -C "$here" || exit 1
export MX_FASHION_MNIST=$here/fashion-mnist
{ nvidia-smi; nproc; } > "$out/machine.txt" 2>&1
status=0
for test in "$here"/bin/mx_*gpu_tests; do
  name=$(basename "$test")
  echo "== $name"
  log=$(mktemp)
  timeout 300 "$here/run.sh" "$test" --durations yes > "$log" 2>&1
  code=$?
  { echo "== $name (exit $code)"; cat "$log"; } >> "$out/tests.log"
  tail -n 4 "$log"
  if [[ $code -ne 0 && $code -ne 77 ]]; then  # 77: no device, skipped
    echo "$name: exit $code"
    grep -B2 -A12 "FAILED\|failed\|error" "$log" | head -80
    status=1
    # Again with a wait after every GPU operation: what passes then points at the stream-ordered engine,
    # what still fails at a kernel.
    MX_GPU_SYNC_EACH_OP=1 timeout 300 "$here/run.sh" "$test" > "$log" 2>&1
    code=$?
    { echo "== $name with MX_GPU_SYNC_EACH_OP=1 (exit $code)"; cat "$log"; } >> "$out/tests.log"
    echo "$name with MX_GPU_SYNC_EACH_OP=1: exit $code"; tail -n 3 "$log"
  fi
done
echo "== bench/gpu"
MXPP_LAUNCH="$here/run.sh" timeout 300 bench/gpu/run.sh "$here/bin/mx_bench_gpu" "$out" "$@" 2>&1 | tee "$out/bench.log"
exit $status
