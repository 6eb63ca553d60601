#!/usr/bin/env bash
# Sets up, builds and runs the main job: for now the engine benchmark against libtorch and StarPU (its table
# on stdout, its figures in build/bench-engine.json).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${MXPP_JOBS:-2}

tools/setup.sh --bench
cmake -S . -B build -G Ninja
cmake --build build -j "$jobs"
build/bench/engine/mx_bench_engine --json build/bench-engine.json
build/bench/ndarray/mx_bench_ndarray --json build/bench-ndarray.json
build/bench/autograd/mx_bench_autograd --json build/bench-autograd.json
build/bench/operators/mx_bench_operators --json build/bench-operators.json
