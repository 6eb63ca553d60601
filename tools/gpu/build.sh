#!/usr/bin/env bash
# Builds what the GPU machine runs (../shared/gpu/README.md) and packs it into one archive under the 64 MiB the
# device tool carries: .gpu-carry/mxpp.tar.xz holds the GPU test programs and the GPU benchmark (stripped, in
# bin/), the shared libraries they need that the GPU machine lacks (lib/), OpenMPI's runtime (openmpi/),
# Fashion-MNIST when installed, and run.sh, which finds the machine's CUDA libraries. On that machine:
#   mkdir -p /tmp/mx && tar xJf .gpu-carry/mxpp.tar.xz -C /tmp/mx && /tmp/mx/run.sh /tmp/mx/bin/mx_operators_gpu_tests
# MXPP_GPU_BUILD names the build folder (default build-gpu; the main build/ serves where it was configured with
# CUDA for Hopper).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${MXPP_GPU_BUILD:-build-gpu}
tools/setup.sh --gpu
cmake -S . -B "$build" -G Ninja -DCMAKE_CUDA_ARCHITECTURES=90
cmake --build "$build" -j "${MXPP_JOBS:-2}"
grep -qx '/.gpu-carry/' .git/info/exclude 2>/dev/null || echo '/.gpu-carry/' >> .git/info/exclude

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin"
# The GPU programs (not the simulated-GPU engine tests, which run everywhere else).
mapfile -t programs < <(find "$build" -type f -perm -u+x -name 'mx_*gpu*' -not -name '*simulated*' -not -path '*/CMakeFiles/*')
for program in "${programs[@]}"; do
  strip -o "$stage/bin/$(basename "$program")" "$program"
done
# OpenMPI's runtime (its plugins, help texts and their libraries), which the GPU machine lacks: MPI then starts in
# a single process there (run.sh sets OPAL_PREFIX to this copy of Debian's tree), for the dist stores' GPU case.
for dir in /usr/lib/x86_64-linux-gnu/openmpi/lib/openmpi3 /usr/share/openmpi /usr/lib/x86_64-linux-gnu/pmix2/lib/pmix \
           /usr/lib/x86_64-linux-gnu/pmix2/share /etc/openmpi; do
  if [[ -d $dir ]]; then mkdir -p "$stage/openmpi$(dirname "$dir")" && cp -r "$dir" "$stage/openmpi$dir"; fi
done
mapfile -t plugins < <(find "$stage/openmpi" -name '*.so')
tools/gpu/pack.sh "$build" "$stage" "${programs[@]}" "${plugins[@]}"
strip "$stage"/lib/libmxpp_* 2>/dev/null || true
if [[ -d /usr/share/datasets/fashion-mnist ]]; then cp -r /usr/share/datasets/fashion-mnist "$stage/"; fi
rm -rf .gpu-carry
mkdir -p .gpu-carry
tar cf - -C "$stage" . | xz -T2 -6 > .gpu-carry/mxpp.tar.xz
du -h .gpu-carry/mxpp.tar.xz
