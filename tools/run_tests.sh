#!/usr/bin/env bash
# Sets up, builds and runs every test: the full build (CPU and GPU code; GPU tests skip themselves without a
# device), then the engine, array, operator, autograd, kvstore, Gluon and mx-prof tests again under
# AddressSanitizer+UBSan and ThreadSanitizer.
# MXPP_JOBS sets the build parallelism (default 2); MXPP_SANITIZERS=0 skips the sanitizer builds.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=${MXPP_JOBS:-2}

tools/setup.sh
cmake -S . -B build -G Ninja
cmake --build build -j "$jobs"
ctest --test-dir build -j "$jobs" --output-on-failure

if [[ "${MXPP_SANITIZERS:-1}" != "0" ]]; then
  for sanitizer in asan tsan; do
    # RelWithDebInfo (NDEBUG, debug information) with our code at -O0 (CMakeLists.txt says why).
    cmake -S . -B "build-$sanitizer" -G Ninja "-DMXPP_${sanitizer^^}=ON" -DMXPP_USE_CUDA=OFF -DMXPP_BUILD_BENCH=OFF \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo
    cmake --build "build-$sanitizer" -j "$jobs"
    ctest --test-dir "build-$sanitizer" -j "$jobs" --output-on-failure -L "engine|profiler|ndarray|operators|autograd|kvstore|gluon|tools"
  done
fi
