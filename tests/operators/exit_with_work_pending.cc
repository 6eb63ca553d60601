// A program that returns from main while products are still queued, with arrays that keep the engine alive past
// every exit handler (as arrays in static storage do). The operators library waits for the engine's work at
// exit, before the libraries the products run in (oneDNN, OpenBLAS) are finalized (operators/drain_at_exit.cc):
// the products run, and the last operation writes their first elements to the file named by argv[1].
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <mx/mx.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

namespace {
// Never freed, on purpose: LeakSanitizer is told so.
template <class T>
void keep_forever(T* object) {
#if defined(__SANITIZE_ADDRESS__)
  __lsan_ignore_object(object);
#endif
  (void)object;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace mx;
  if (argc != 2) return 2;
  const std::string path = argv[1];
  const NDArray x = nd::ones({256, 256}), x64 = nd::ones({256, 256}, cpu(), DType::kFloat64);
  NDArray y = nd::zeros({256, 256}), y64 = nd::zeros({256, 256}, cpu(), DType::kFloat64);
  const float* first = y.data_ptr<float>();  // nothing pending on y yet: no wait
  const double* first64 = y64.data_ptr<double>();
  // Hold the inputs for a while: the products start only after main has returned.
  engine::Engine::get().push_sync(
      [](engine::RunContext) { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }, cpu(), {},
      {x.var(), x64.var()});
  y += nd::dot(x, x);        // float32: oneDNN
  y64 += nd::dot(x64, x64);  // float64: OpenBLAS
  engine::Engine::get().push_sync(
      [path, first, first64](engine::RunContext) {
        if (std::FILE* f = std::fopen(path.c_str(), "w")) {
          std::fprintf(f, "%g %g\n", static_cast<double>(*first), *first64);
          std::fclose(f);
        }
      },
      cpu(), {y.var(), y64.var()}, {});
  keep_forever(new NDArray(y));  // the engine outlives every exit handler
  keep_forever(new NDArray(y64));
  return 0;
}
