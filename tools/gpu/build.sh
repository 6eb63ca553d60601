#!/usr/bin/env bash
# Builds what the GPU machine runs (../shared/gpu/README.md): a Hopper build in build-gpu/, then .gpu-carry/
# with the test and benchmark programs (stripped, in bin/), the shared libraries they need that the GPU machine
# lacks (lib/), and a launcher. Carry only .gpu-carry (build-gpu is too big); on that machine, for example:
#   .gpu-carry/run.sh .gpu-carry/bin/mx_engine_gpu_tests
set -euo pipefail
cd "$(dirname "$0")/../.."
tools/setup.sh
cmake -S . -B build-gpu -G Ninja -DCMAKE_CUDA_ARCHITECTURES=90 -DMXPP_BUILD_BENCH=OFF
cmake --build build-gpu -j "${MXPP_JOBS:-2}"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude

rm -rf .gpu-carry
mkdir -p .gpu-carry/bin
mapfile -t programs < <(find build-gpu -type f -perm -u+x -name 'mx_*' -not -path '*/CMakeFiles/*')
for program in "${programs[@]}"; do
  strip -o ".gpu-carry/bin/$(basename "$program")" "$program"
done
tools/gpu/pack.sh build-gpu .gpu-carry "${programs[@]}"
strip .gpu-carry/lib/libmxpp_* 2>/dev/null || true
