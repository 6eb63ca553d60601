// StarPU's task runtime on the same workloads: tasks over registered data handles, two CPU workers.
#include <starpu.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include "peer.h"

namespace mx::bench {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

long& value_of(void* buffer) { return *reinterpret_cast<long*>(STARPU_VARIABLE_GET_PTR(buffer)); }

void increment(void* buffers[], void*) { ++value_of(buffers[0]); }
void copy_plus_one(void* buffers[], void*) { value_of(buffers[1]) = value_of(buffers[0]) + 1; }
void sum_all(void* buffers[], void* cl_arg) {
  int width = 0;
  starpu_codelet_unpack_args(cl_arg, &width);
  for (int j = 0; j < width; ++j) value_of(buffers[width]) += value_of(buffers[j]);
}
void run_heavy(void*[], void* cl_arg) {
  HeavyWork* work = nullptr;
  starpu_codelet_unpack_args(cl_arg, &work);
  work->run();
}

starpu_codelet make_codelet(starpu_cpu_func_t fn, int nbuffers,
                            std::initializer_list<starpu_data_access_mode> modes) {
  starpu_codelet cl;
  starpu_codelet_init(&cl);
  cl.cpu_funcs[0] = fn;
  cl.nbuffers = nbuffers;
  int i = 0;
  for (auto mode : modes) cl.modes[i++] = mode;
  return cl;
}

void check(int status) {
  if (status != 0) throw std::runtime_error("starpu_task_insert failed: " + std::to_string(status));
}

class StarpuPeer final : public Peer {
 public:
  StarpuPeer() {
    setenv("STARPU_SILENT", "1", 0);
    setenv("STARPU_WORKERS_NOBIND", "1", 0);  // share the cores with the other peers' threads
    starpu_conf conf;
    starpu_conf_init(&conf);
    conf.ncpus = 2;
    conf.ncuda = 0;
    conf.nopencl = 0;
    if (starpu_init(&conf) != 0) throw std::runtime_error("starpu_init failed");
    increment_ = make_codelet(increment, 1, {STARPU_RW});
    copy_ = make_codelet(copy_plus_one, 2, {STARPU_R, STARPU_W});
    sum_ = make_codelet(sum_all, STARPU_VARIABLE_NBUFFERS, {});
    heavy_ = make_codelet(run_heavy, 1, {STARPU_RW});
  }
  ~StarpuPeer() override { starpu_shutdown(); }
  std::string name() const override { return "StarPU"; }

  double independent(const Workloads& w) override {
    Handles handles(w.tiny_vars);
    const auto start = Clock::now();
    for (long i = 0; i < w.tiny_ops; ++i) {
      check(starpu_task_insert(&increment_, STARPU_RW, handles[i % w.tiny_vars], 0));
    }
    starpu_task_wait_for_all();
    return seconds_since(start);
  }

  double chain(const Workloads& w) override {
    Handles handles(1);
    const auto start = Clock::now();
    for (long i = 0; i < w.chain_ops; ++i) check(starpu_task_insert(&increment_, STARPU_RW, handles[0], 0));
    starpu_task_wait_for_all();
    return seconds_since(start);
  }

  double fan(const Workloads& w) override {
    int width = w.fan_width;
    Handles handles(width + 2);
    starpu_data_handle_t source = handles[width], sink = handles[width + 1];
    std::vector<starpu_data_descr> fan_in(width + 1);
    for (int j = 0; j < width; ++j) fan_in[j] = {handles[j], STARPU_R};
    fan_in[width] = {sink, STARPU_RW};
    const auto start = Clock::now();
    for (int round = 0; round < w.fan_rounds; ++round) {
      check(starpu_task_insert(&increment_, STARPU_RW, source, 0));
      for (int j = 0; j < width; ++j) check(starpu_task_insert(&copy_, STARPU_R, source, STARPU_W, handles[j], 0));
      check(starpu_task_insert(&sum_, STARPU_DATA_MODE_ARRAY, fan_in.data(), width + 1, STARPU_VALUE, &width,
                               sizeof width, 0));
    }
    starpu_task_wait_for_all();
    return seconds_since(start);
  }

  StreamTimes streams(HeavyWork& a, HeavyWork& b, int per_stream) override {
    Handles handles(2);
    return time_streams(
        a, b,
        [&](HeavyWork& work) {
          HeavyWork* target = &work;
          starpu_data_handle_t handle = &work == &a ? handles[0] : handles[1];
          for (int i = 0; i < per_stream; ++i) {
            check(starpu_task_insert(&heavy_, STARPU_RW, handle, STARPU_VALUE, &target, sizeof target, 0));
          }
        },
        [] { starpu_task_wait_for_all(); });
  }

 private:
  // Registered counters, unregistered when the workload ends.
  class Handles {
   public:
    explicit Handles(int n) : values_(n), handles_(n) {
      for (int i = 0; i < n; ++i) {
        starpu_variable_data_register(&handles_[i], STARPU_MAIN_RAM, reinterpret_cast<uintptr_t>(&values_[i]),
                                      sizeof(long));
      }
    }
    ~Handles() {
      for (auto handle : handles_) starpu_data_unregister(handle);
    }
    starpu_data_handle_t operator[](long i) const { return handles_[i]; }

   private:
    std::vector<long> values_;
    std::vector<starpu_data_handle_t> handles_;
  };

  starpu_codelet increment_, copy_, sum_, heavy_;
};

}  // namespace

std::unique_ptr<Peer> make_starpu_peer() { return std::make_unique<StarpuPeer>(); }

}  // namespace mx::bench
