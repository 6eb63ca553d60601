// The main of the GPU test programs: they skip (exit 77, CTest's SKIP_RETURN_CODE) where no CUDA device is found.
#include <cstdio>

#include <mx/ndarray/device_memory.h>

#include "catch_run.h"

int main(int argc, char** argv) {
  if (mx::num_gpus() == 0) {
    std::printf("no CUDA device: skipping the GPU tests\n");
    return 77;
  }
  return mx::test::run_catch(argc, argv);
}
