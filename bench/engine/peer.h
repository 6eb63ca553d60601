#pragma once
// The engine benchmark's workloads, and what each system under test (a "peer") runs them with.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mx::bench {

struct Workloads {
  long tiny_ops = 1'000'000;  // (a) tiny operations spread over independent variables
  int tiny_vars = 1000;
  long chain_ops = 1'000'000;  // (b) a chain of tiny operations on one variable
  int fan_width = 64;          // (c) one producer, `fan_width` readers, one reader of them all, per round
  int fan_rounds = 5000;
  int gemm_per_stream = 50;  // (d) two independent streams of single-threaded sgemm
  int gemm_size = 512;
  long integer_iterations = 2'500'000;  // (d') the same with integer-bound operations of about as long
  int repeats = 5;  // each figure is the best of this many runs

  long fan_ops() const { return static_cast<long>(fan_rounds) * (fan_width + 2); }
};

// One heavy operation of workload (d); each stream owns one, so streams share no data.
class HeavyWork {
 public:
  virtual ~HeavyWork() = default;
  virtual void run() = 0;
};

// Single-threaded C = A * B (n x n) on OpenBLAS.
class Gemm final : public HeavyWork {
 public:
  explicit Gemm(int n);
  void run() override;

 private:
  int n_;
  std::vector<float> a_, b_, c_;
};

// A chain of integer multiply-adds: compute-bound work that uses no floating-point units and no memory.
class IntegerWork final : public HeavyWork {
 public:
  explicit IntegerWork(long iterations) : iterations_(iterations) {}
  void run() override;
  unsigned long result() const { return state_; }

 private:
  long iterations_;
  unsigned long state_ = 1;
};

// Two streams of heavy work: each alone, then both together.
struct StreamTimes {
  double a = 0, b = 0, both = 0;  // seconds
  double overlap_efficiency() const { return both > 0 ? (a + b) / (2 * both) : 0; }
};

class Peer {
 public:
  virtual ~Peer() = default;
  virtual std::string name() const = 0;
  // Each returns the wall time in seconds, from the first push until all the work is done.
  virtual double independent(const Workloads& w) = 0;
  virtual double chain(const Workloads& w) = 0;
  virtual double fan(const Workloads& w) = 0;
  // Two streams of `per_stream` operations each; each operation of stream a runs a.run(), of b b.run().
  virtual StreamTimes streams(HeavyWork& a, HeavyWork& b, int per_stream) = 0;
};

// Times stream a alone, stream b alone, then both: `start(work)` begins a stream of that work, `finish()` waits
// for every stream begun.
StreamTimes time_streams(HeavyWork& a, HeavyWork& b, const std::function<void(HeavyWork&)>& start,
                         const std::function<void()>& finish);

// The machine's own ceiling for (d): the two streams on two plain std::threads.
StreamTimes threads_ceiling(HeavyWork& a, HeavyWork& b, int per_stream);

void use_one_blas_thread();

std::unique_ptr<Peer> make_mxpp_peer(bool threaded);
// mxpp threaded with the profiler recording everything: its overhead.
std::unique_ptr<Peer> make_mxpp_profiled_peer();
std::unique_ptr<Peer> make_torch_peer();   // null when built without libtorch
std::unique_ptr<Peer> make_starpu_peer();  // null when built without StarPU

}  // namespace mx::bench
