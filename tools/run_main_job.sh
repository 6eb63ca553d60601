#!/usr/bin/env bash
# Sets up, builds and runs the main job: the seed tutorial trained on Fashion-MNIST (Debian's
# dataset-fashion-mnist), five epochs and the test accuracy; then the benchmarks against libtorch and StarPU
# (tables on stdout, figures in build/bench-*.json).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${MXPP_JOBS:-2}

tools/setup.sh --bench
cmake -S . -B build -G Ninja
cmake --build build -j "$jobs"
build/examples/seed_tutorial
build/bench/engine/mx_bench_engine --json build/bench-engine.json
build/bench/ndarray/mx_bench_ndarray --json build/bench-ndarray.json
build/bench/autograd/mx_bench_autograd --json build/bench-autograd.json
build/bench/operators/mx_bench_operators --json build/bench-operators.json
build/bench/mlp/mx_bench_mlp --json build/bench-mlp.json
build/bench/sparse/mx_bench_sparse --json build/bench-sparse.json
tools/mx-launch -n 2 build/bench/kvstore/mx_bench_kvstore_allreduce --json build/bench-kvstore-allreduce.json
MX_LAUNCH=tools/mx-launch build/bench/kvstore/mx_bench_kvstore_data_parallel --json build/bench-kvstore-data-parallel.json
