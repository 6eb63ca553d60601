// All-reduce of ResNet-50's gradients (its 161 trainable arrays, 25.6M float32) across the processes of an
// mpirun job: mxpp's dist_sync store against plain MPI in the same run, one MPI_Allreduce per array and one
// MPI_Allreduce of a single fused buffer. Run with `mx-launch -n 2 mx_bench_kvstore_allreduce [--quick]`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <vector>

#include <mpi.h>

#include <mx/mx.h>

#include "../common/bench_cli.h"
#include "../common/interleaved.h"
#include "../common/resnet50_gradients.h"

namespace {

using namespace mx;
using Clock = std::chrono::steady_clock;

// The slowest rank's time of `pass`, in ms: every rank starts together.
template <class Pass>
double timed(Pass&& pass) {
  MPI_Barrier(MPI_COMM_WORLD);
  const auto start = Clock::now();
  pass();
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
  MPI_Allreduce(MPI_IN_PLACE, &ms, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  const bench::Flags flags = bench::parse_flags(argc, argv);
  // This program calls MPI itself (the plain peers) besides mxpp's store, which accepts an MPI the program
  // started as long as it may be called from mxpp's own thread.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (provided < MPI_THREAD_MULTIPLE) {
    if (rank == 0) std::fprintf(stderr, "this MPI offers no MPI_THREAD_MULTIPLE\n");
    MPI_Finalize();
    return 1;
  }
  const std::vector<Shape> shapes = bench::resnet50_gradient_shapes();
  std::int64_t total = 0;
  for (const Shape& s : shapes) total += s.size();
  const int repeats = flags.quick ? 1 : 21;  // two processes on two cores are noisy: many passes, best and median

  // mxpp: one pushpull of every key, in place, the last layers first (as the Trainer pushes them).
  auto kv = kvstore::create("dist_sync");
  std::vector<kvstore::Key> keys;
  std::vector<std::vector<NDArray>> grads;
  std::vector<int> priorities;
  for (std::size_t i = shapes.size(); i-- > 0;) {
    keys.push_back(static_cast<int>(i));
    grads.push_back({nd::full(shapes[i], rank + 1.0, cpu(0))});
    priorities.push_back(-static_cast<int>(i));
    kv->init(static_cast<int>(i), grads.back()[0]);
  }
  engine::Engine::get().wait_for_all();
  // Plain MPI over the same sizes: separate arrays, and one buffer.
  std::vector<std::vector<float>> arrays;
  for (const Shape& s : shapes) arrays.emplace_back(static_cast<std::size_t>(s.size()), rank + 1.0f);
  std::vector<float> fused(static_cast<std::size_t>(total), rank + 1.0f), copy(fused.size());

  // The store, then plain MPI per array, per array over the store's own arrays (which tells the store's cost from
  // that of where the data lies), fused, and a memcpy of the fused buffer. They take turns going first
  // (bench/common/interleaved.h): none is favoured by what ran before. Every rank runs them in the same order.
  auto timed_pass = [](std::function<void()> pass) { return [pass] { return timed(pass); }; };
  const auto pass_ms = bench::run_interleaved(
      {timed_pass([&] {
         kv->pushpull(keys, grads, grads, priorities);
         for (const auto& g : grads) g[0].wait_to_read();
       }),
       timed_pass([&] {
         for (auto& a : arrays) MPI_Allreduce(MPI_IN_PLACE, a.data(), static_cast<int>(a.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
       }),
       timed_pass([&] {
         for (auto& g : grads) {
           MPI_Allreduce(MPI_IN_PLACE, g[0].data_ptr(), static_cast<int>(g[0].size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
         }
       }),
       timed_pass([&] { MPI_Allreduce(MPI_IN_PLACE, fused.data(), static_cast<int>(fused.size()), MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD); }),
       timed_pass([&] { std::memcpy(copy.data(), fused.data(), fused.size() * sizeof(float)); })},
      repeats);
  const std::vector<double>&mxpp_ms = pass_ms[0], &per_array_ms = pass_ms[1], &store_arrays_ms = pass_ms[2],
                       &fused_ms = pass_ms[3], &memcpy_ms = pass_ms[4];
  using bench::best_of, bench::median_of;
  const double best_mxpp = best_of(mxpp_ms), best_per_array = best_of(per_array_ms), best_fused = best_of(fused_ms);
  const double best_memcpy = best_of(memcpy_ms), best_store_arrays = best_of(store_arrays_ms);
  const double median_mxpp = median_of(mxpp_ms), median_peer = std::min(median_of(per_array_ms), median_of(fused_ms));
  // The sums were right: every rank started from rank + 1; each of the repeats + 1 passes sums the ranks' arrays
  // twice (the store, then plain MPI over its arrays), and the ranks hold equal values after the first sum.
  double expected = size * (size + 1) / 2.0;
  for (int r = 0; r < 2 * repeats + 1; ++r) expected *= size;
  const std::vector<float> got = grads.front()[0].asnumpy<float>();
  const bool right = std::all_of(got.begin(), got.end(), [&](float v) { return v == static_cast<float>(expected); });
  if (!right) std::fprintf(stderr, "rank %d: wrong sums (%g, expected %g)\n", rank, got[0], expected);
  const double peer = std::min(best_per_array, best_fused);
  if (rank == 0) {
    std::printf("all-reduce of ResNet-50's gradients: %zu arrays, %.1fM float32 (%.0f MB), %d processes, best of %d\n",
                shapes.size(), static_cast<double>(total) / 1e6, static_cast<double>(total) * 4 / 1e6, size, repeats);
    std::printf("mxpp dist_sync %.1f ms   MPI per array %.1f ms   MPI fused %.1f ms   memcpy %.1f ms   "
                "mxpp/best-MPI %.2f (medians: %.2f)   MPI per array over the store's arrays %.1f ms\n", best_mxpp,
                best_per_array, best_fused, best_memcpy, best_mxpp / peer, median_mxpp / median_peer, best_store_arrays);
  }
  nlohmann::json report = {{"arrays", shapes.size()}, {"floats", total}, {"processes", size},
                           {"mxpp_ms", best_mxpp}, {"mpi_per_array_ms", best_per_array}, {"mpi_fused_ms", best_fused},
                           {"memcpy_ms", best_memcpy}, {"mpi_per_array_on_store_arrays_ms", best_store_arrays}, {"mxpp_over_best_mpi", best_mxpp / peer},
                           {"median_mxpp_over_best_mpi", median_mxpp / median_peer}};
  const int status = rank == 0 ? bench::write_report(flags, report) : 0;
  kv.reset();
  MPI_Finalize();
  return right ? status : 1;
}
