// libtorch's eager dispatch on the same workloads: each operation runs when called, on the calling thread;
// the two streams of (d) run on its inter-op thread pool (at::launch).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <chrono>
#include <future>

#include "peer.h"

namespace mx::bench {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

class TorchPeer final : public Peer {
 public:
  TorchPeer() {
    at::set_num_threads(1);          // single-threaded sgemm, as for the other peers
    at::set_num_interop_threads(2);  // two workers for the two streams
  }
  std::string name() const override { return "libtorch eager"; }

  double independent(const Workloads& w) override {
    std::vector<at::Tensor> xs, ys;
    for (int i = 0; i < w.tiny_vars; ++i) {
      xs.push_back(at::ones({1}));
      ys.push_back(at::ones({1}));
    }
    const auto start = Clock::now();
    for (long i = 0; i < w.tiny_ops; ++i) {
      const long k = i % w.tiny_vars;
      ys[k] = xs[k] + 1;
    }
    return seconds_since(start);
  }

  double chain(const Workloads& w) override {
    at::Tensor x = at::ones({1});
    const auto start = Clock::now();
    for (long i = 0; i < w.chain_ops; ++i) x = x + 1;
    return seconds_since(start);
  }

  double fan(const Workloads& w) override {
    at::Tensor source = at::ones({1}), sink;
    std::vector<at::Tensor> outs(w.fan_width);
    const auto start = Clock::now();
    for (int round = 0; round < w.fan_rounds; ++round) {
      source = source + 1;
      for (int j = 0; j < w.fan_width; ++j) outs[j] = source + 1;
      sink = at::stack(outs);  // one operation reading every output
    }
    return seconds_since(start);
  }

  // The heavy operations are the same C++ code as for every peer, run on libtorch's inter-op pool.
  StreamTimes streams(HeavyWork& a, HeavyWork& b, int per_stream) override {
    std::vector<std::future<void>> running;
    return time_streams(
        a, b,
        [&](HeavyWork& work) {
          auto done = std::make_shared<std::promise<void>>();
          running.push_back(done->get_future());
          at::launch([&work, per_stream, done] {
            for (int i = 0; i < per_stream; ++i) work.run();
            done->set_value();
          });
        },
        [&] {
          for (auto& stream : running) stream.wait();
          running.clear();
        });
  }
};

}  // namespace

std::unique_ptr<Peer> make_torch_peer() { return std::make_unique<TorchPeer>(); }

}  // namespace mx::bench
