// A job in which one rank fails, for check_mpi_failure.sh: `throw` makes rank 1 throw mid-training (uncaught),
// `hang` makes rank 1 stop taking part without dying. Either way the job must end on every rank, with messages
// that say which rank failed, within seconds.
#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>

#include <mx/mx.h>

using namespace mx;

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode != "throw" && mode != "hang") {
    std::fprintf(stderr, "usage: %s throw|hang\n", argv[0]);
    return 2;
  }
  auto kv = kvstore::create("dist_sync");
  kv->init(0, nd::zeros({1000}, cpu(0)));
  for (int step = 0; step < 100; ++step) {
    if (kv->rank() == 1 && step == 3) {
      if (mode == "throw") throw std::runtime_error("injected failure at step 3");
      std::this_thread::sleep_for(std::chrono::seconds(60));
    }
    std::vector<NDArray> grads = {nd::ones({1000}, cpu(0))};
    kv->pushpull(0, grads, grads);
    grads[0].wait_to_read();
  }
  std::printf("rank %d finished, which it should not have\n", kv->rank());
  return 0;
}
