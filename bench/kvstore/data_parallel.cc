// Data-parallel training step of the seed CNN (LeNet on 28x28 images, global batch 128) on this machine's cores:
// 2 processes x 1 engine thread (dist_sync over MPI, each process half the batch) against 1 process x 2
// threads, in seconds per Fashion-MNIST epoch (469 steps); and, from rank 0's trace of one step, the share of
// the all-reduce time that ran while the step's operators computed (communication hidden behind backward).
//
// Run it plainly: it measures the single process, then starts itself under mx-launch for the two processes.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <mx/mx.h>

#include "../common/bench_cli.h"

namespace {

using namespace mx;
namespace nn = gluon::nn;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kGlobalBatch = 128, kStepsPerEpoch = 469;  // Fashion-MNIST: 60,000 / 128

nn::Sequential lenet() {
  nn::Sequential net;
  net.add(nn::Conv2D(20, {5}), nn::Activation("relu"), nn::MaxPool2D(), nn::Conv2D(50, {5}), nn::Activation("relu"),
          nn::MaxPool2D(), nn::Flatten(), nn::Dense(500, "relu"), nn::Dense(10));
  return net;
}

// Length of the union of [start, end) intervals, and of its intersection with the union of `others`.
std::pair<double, double> covered(std::vector<std::pair<std::int64_t, std::int64_t>> mine,
                                  std::vector<std::pair<std::int64_t, std::int64_t>> others) {
  auto merge = [](std::vector<std::pair<std::int64_t, std::int64_t>> v) {
    std::sort(v.begin(), v.end());
    std::vector<std::pair<std::int64_t, std::int64_t>> out;
    for (const auto& iv : v) {
      if (!out.empty() && iv.first <= out.back().second) out.back().second = std::max(out.back().second, iv.second);
      else out.push_back(iv);
    }
    return out;
  };
  mine = merge(std::move(mine));
  others = merge(std::move(others));
  double total = 0, overlap = 0;
  for (const auto& a : mine) {
    total += static_cast<double>(a.second - a.first);
    for (const auto& b : others) {
      const std::int64_t lo = std::max(a.first, b.first), hi = std::min(a.second, b.second);
      if (hi > lo) overlap += static_cast<double>(hi - lo);
    }
  }
  return {total, overlap};
}

struct Result {
  double seconds_per_epoch = 0;
  double hidden_share = -1;  // -1: no communication
};

// `steps` timed steps (after warm-up) of this process's share of the batch.
Result measure(std::shared_ptr<kvstore::KVStore> kv, int steps) {
  const int workers = kv ? kv->num_workers() : 1, rank = kv ? kv->rank() : 0;
  const std::int64_t batch = kGlobalBatch / workers;
  random::seed(1);
  NDArray x = nd::random::uniform(0, 1, {batch, 1, 28, 28});
  NDArray y = nd::array(std::vector<float>(static_cast<std::size_t>(batch), static_cast<float>(rank)));
  nn::Sequential net = lenet();
  net.initialize(init::Xavier());
  net(x);
  gluon::Trainer trainer = kv ? gluon::Trainer(net.collect_params(), "sgd", {{"learning_rate", 0.01}}, kv)
                              : gluon::Trainer(net.collect_params(), "sgd", {{"learning_rate", 0.01}});
  gluon::loss::SoftmaxCrossEntropyLoss loss_fn;
  auto step = [&] {
    NDArray loss;
    {
      autograd::record r;
      loss = loss_fn(net(x), y);
    }
    loss.backward();
    trainer.step(kGlobalBatch);
    return loss;
  };
  for (int i = 0; i < 3; ++i) step();
  engine::Engine::get().wait_for_all();
  if (kv) kv->barrier();
  const auto start = Clock::now();
  for (int i = 0; i < steps; ++i) step().wait_to_read();  // the seed's batch-end sync point
  engine::Engine::get().wait_for_all();
  Result result;
  result.seconds_per_epoch = std::chrono::duration<double>(Clock::now() - start).count() / steps * kStepsPerEpoch;
  if (kv) {  // one traced step
    engine::trace::clear();
    engine::trace::enable(engine::trace::kOperators);
    step();
    engine::Engine::get().wait_for_all();
    engine::trace::disable();
    std::vector<std::pair<std::int64_t, std::int64_t>> communication, compute;
    for (const auto& e : engine::trace::take_events()) {
      if (e.name == "KVStoreAllreduce") communication.emplace_back(e.start_ns, e.end_ns);
      else if (e.category == "operator") compute.emplace_back(e.start_ns, e.end_ns);
    }
    const auto [total, hidden] = covered(communication, compute);
    result.hidden_share = total > 0 ? hidden / total : -1;
  }
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  bench::Flags flags;
  bool as_rank = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--as-rank") as_rank = true;
    else if (!bench::take_common_flag(argc, argv, i, flags)) {
      std::fprintf(stderr, "usage: %s [--quick] [--json FILE]\n", argv[0]);
      return 2;
    }
  }
  const int steps = flags.quick ? 3 : 40;
  if (as_rank) {  // one of the two processes started below
    auto kv = kvstore::create("dist_sync");
    const Result r = measure(kv, steps);
    if (kv->rank() == 0) {
      std::ofstream(flags.json_path) << nlohmann::json{{"seconds_per_epoch", r.seconds_per_epoch}, {"hidden_share", r.hidden_share}};
    }
    kv->barrier();
    return 0;
  }
  const Result single = measure(nullptr, steps);
  const std::string ranks_json = (std::filesystem::temp_directory_path() / "mxpp_bench_data_parallel.json").string();
  const char* launch = std::getenv("MX_LAUNCH");  // where mx-launch is: set by CMake for the tests and main job
  const std::string command = std::string("MX_CPU_WORKER_NTHREADS=1 ") + (launch ? launch : "mx-launch") + " -n 2 " +
                              argv[0] + " --as-rank --json " + ranks_json + (flags.quick ? " --quick" : "");
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "the two-process run failed: %s\n", command.c_str());
    return 1;
  }
  nlohmann::json two;
  std::ifstream(ranks_json) >> two;
  const double two_seconds = two["seconds_per_epoch"], hidden = two["hidden_share"];
  std::printf("seed CNN (LeNet), batch %lld per step, s/epoch of %lld steps: 1 process x 2 threads %.2f s   "
              "2 processes x 1 thread (dist_sync) %.2f s   ratio %.2f   all-reduce time hidden behind compute %.0f%%\n",
              static_cast<long long>(kGlobalBatch), static_cast<long long>(kStepsPerEpoch), single.seconds_per_epoch,
              two_seconds, two_seconds / single.seconds_per_epoch, hidden * 100);
  return bench::write_report(flags, {{"one_process_two_threads_s_per_epoch", single.seconds_per_epoch},
                                     {"two_processes_one_thread_s_per_epoch", two_seconds},
                                     {"hidden_share", hidden}});
}
