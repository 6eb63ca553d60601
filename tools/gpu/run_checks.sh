#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpacks .gpu-carry/mxpp.tar.xz (tools/gpu/build.sh), runs every
# GPU test program and the GPU benchmark beside PyTorch, and leaves its files in OUT (default ./gpu-out; the
# device tool brings back at most eight): machine.txt, tests.log, bench.log and the two benchmarks' JSON.
#   tools/gpu/run_checks.sh [--quick]
# Device time is scarce (minutes a session): the whole run keeps within MXPP_CHECK_BUDGET_S seconds (default
# 420), each step's time limit cut to what is left, and logs are written line by line, so that what ran before
# a limit is kept. A failing program is run again with a wait after every GPU operation only while time is left.
set -uo pipefail
out=${OUT:-gpu-out}
mkdir -p "$out"
budget=${MXPP_CHECK_BUDGET_S:-420}
started=$SECONDS
left() { echo $((budget - (SECONDS - started))); }
# limit CAP: the smaller of CAP and the time left, at least 1 second.
limit() { local l; l=$(left); ((l > $1)) && l=$1; ((l < 1)) && l=1; echo "$l"; }

here=/tmp/mx
rm -rf "$here" && mkdir -p "$here" && tar xJf .gpu-carry/mxpp.tar.xz -C "$here" || exit 1
export MX_FASHION_MNIST=$here/fashion-mnist
{ nvidia-smi; nproc; } > "$out/machine.txt" 2>&1
status=0
line_buffered=()
command -v stdbuf > /dev/null && line_buffered=(stdbuf -oL -eL)

# run_program LOG_TITLE CAP PROGRAM ARGS...: runs it line-buffered into tests.log; returns its exit code.
run_program() {
  local title=$1 cap=$2; shift 2
  echo "== $title (limit $(limit "$cap") s, $(left) s left)" | tee -a "$out/tests.log"
  timeout -k 5 "$(limit "$cap")" "${line_buffered[@]}" "$here/run.sh" "$@" >> "$out/tests.log" 2>&1
  local code=$?
  echo "== $title: exit $code" | tee -a "$out/tests.log"
  return $code
}

# Layer by layer from the bottom, so that a fault in storage or copies shows first, where it is plainest; then
# any other GPU test program the archive holds.
order=(mx_ndarray_gpu_tests mx_engine_gpu_tests mx_operators_gpu_tests mx_kvstore_gpu_tests mx_gluon_gpu_tests)
for program in "$here"/bin/mx_*gpu_tests; do
  [[ " ${order[*]} " == *" $(basename "$program") "* ]] || order+=("$(basename "$program")")
done
for name in "${order[@]}"; do
  test="$here/bin/$name"
  if [[ ! -x $test ]]; then echo "$name: not in the archive" | tee -a "$out/tests.log"; status=1; continue; fi
  if (($(left) < 30)); then echo "$name: not run, the budget is spent" | tee -a "$out/tests.log"; status=1; continue; fi
  run_program "$name" 150 "$test" --durations yes
  code=$?
  if [[ $code -ne 0 && $code -ne 77 ]]; then  # 77: no device, skipped
    status=1
    grep -A12 "FAILED\|failed\|error" "$out/tests.log" | tail -40
    # Again with a wait after every GPU operation: what passes then points at the stream-ordered engine, what
    # still fails at a kernel. Not after a time-out (it would only time out again), nor late in the budget.
    if [[ $code -ne 124 && $code -ne 137 ]] && (($(left) > 120)); then
      MX_GPU_SYNC_EACH_OP=1 run_program "$name with MX_GPU_SYNC_EACH_OP=1" 60 "$test"
    fi
  fi
done
# dist_device_sync over NCCL in a job of one process: needs MPI to start without mpirun (its own case).
if [[ -x "$here/bin/mx_kvstore_gpu_tests" ]] && (($(left) > 60)); then
  OMPI_MCA_ess_singleton_isolated=1 run_program "mx_kvstore_gpu_tests [mpi]" 30 "$here/bin/mx_kvstore_gpu_tests" "[mpi]"
fi

echo "== bench/gpu ($(left) s left)" | tee -a "$out/bench.log"
quick=()
(($(left) < 240)) && quick=(--quick)  # the full benchmark takes minutes; the quick one still gives every figure
MXPP_LAUNCH="$here/run.sh" timeout -k 5 "$(limit 600)" "${line_buffered[@]}" bench/gpu/run.sh "$here/bin/mx_bench_gpu" "$out" \
  "${quick[@]}" "$@" 2>&1 | tee -a "$out/bench.log"
echo "run_checks: $((SECONDS - started)) s" | tee -a "$out/bench.log"
exit $status
