#!/usr/bin/env bash
# On the GPU machine: PyTorch's figures, then mxpp's beside them, in one command.
#   bench/gpu/run.sh BENCH_BINARY OUT_DIR [--quick]
# MXPP_LAUNCH, if set, prefixes mxpp's program (tools/gpu/run_checks.sh sets the launcher that finds CUDA's
# libraries); PyTorch runs without it, with its own libraries.
set -euo pipefail
bench=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
# mxpp's figures are still taken when the peer fails (say, no PyTorch there): printed alone.
peer=()
if python3 "$here/torch_peer.py" "$@" --json "$out/gpu_torch.json"; then
  peer=(--torch "$out/gpu_torch.json")
else
  echo "run.sh: the PyTorch peer failed (exit $?); mxpp's figures alone follow" >&2
fi
${MXPP_LAUNCH:-} "$bench" "$@" "${peer[@]}" --json "$out/gpu_mxpp.json"
