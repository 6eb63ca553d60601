#!/usr/bin/env bash
# On the GPU machine: PyTorch's figures, then mxpp's beside them, in one command.
#   bench/gpu/run.sh BENCH_BINARY OUT_DIR [--quick]
# MXPP_LAUNCH, if set, prefixes mxpp's program (tools/gpu/run_checks.sh sets the launcher that finds CUDA's
# libraries); PyTorch runs without it, with its own libraries.
set -euo pipefail
bench=$1; out=$2; shift 2
here=$(cd "$(dirname "$0")" && pwd)
python3 "$here/torch_peer.py" "$@" --json "$out/gpu_torch.json"
${MXPP_LAUNCH:-} "$bench" "$@" --torch "$out/gpu_torch.json" --json "$out/gpu_mxpp.json"
