#!/usr/bin/env bash
# Installs the Debian packages mxpp needs, only those missing, so it returns at once on a ready machine.
#   tools/setup.sh           the build and the tests (chromium: the profiler report's rendering test)
#   tools/setup.sh --bench   also the main job's: the benchmark peers (libtorch, StarPU) and Fashion-MNIST
#   tools/setup.sh --gpu     also Fashion-MNIST, which tools/gpu/build.sh packs for the GPU machine's training test
# CUDA is not a Debian package here: it is used from /usr/local/cuda when present.
set -euo pipefail

packages=(cmake ninja-build g++ pkg-config ccache libtbb-dev libopenblas-dev libdnnl-dev catch2 libspdlog-dev
          nlohmann-json3-dev zlib1g-dev libjpeg62-turbo-dev libpng-dev openmpi-bin libopenmpi-dev chromium)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(libtorch-dev libstarpu-dev dataset-fashion-mnist)
elif [[ "${1:-}" == "--gpu" ]]; then
  packages+=(dataset-fashion-mnist)
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--bench | --gpu]" >&2
  exit 2
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"; then
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
