#pragma once
// Helpers for engine tests: engines to run each test on, and gates that hold an operation until the test lets
// it go. Waits give up after a minute so that a broken engine fails a test instead of hanging it.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <mx/engine/engine.h>

namespace mx::test {

inline constexpr auto kGiveUpAfter = std::chrono::seconds(60);

struct NamedConfig {
  std::string label;
  engine::EngineConfig config;
};

inline std::vector<NamedConfig> threaded_configs() {
  std::vector<NamedConfig> configs;
  for (int workers : {1, 2, 4}) {
    engine::EngineConfig c;
    c.type = engine::EngineType::kThreaded;
    c.cpu_workers = workers;
    configs.push_back({"threaded, " + std::to_string(workers) + " workers", c});
  }
  return configs;
}

inline std::vector<NamedConfig> all_configs() {
  auto configs = threaded_configs();
  engine::EngineConfig naive;
  naive.type = engine::EngineType::kNaive;
  configs.push_back({"naive", naive});
  return configs;
}

// Blocks operations until opened. Waiting past the deadline throws (inside an operation: a failure) and is
// remembered, so that a test can tell "held until opened" from "gave up".
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, kGiveUpAfter, [&] { return open_; })) {
      gave_up_ = true;
      throw std::runtime_error("gate never opened");
    }
  }
  bool gave_up() {
    std::lock_guard lock(mutex_);
    return gave_up_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
  bool gave_up_ = false;
};

// Counts arrivals; wait_for(n) returns once n have arrived (false if they never do).
class Arrivals {
 public:
  void arrive() {
    std::lock_guard lock(mutex_);
    ++count_;
    cv_.notify_all();
  }
  bool wait_for(int n) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, kGiveUpAfter, [&] { return count_ >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int count_ = 0;
};

// What operations did, in the order they did it.
class Journal {
 public:
  void add(std::string entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> entries_;
};

}  // namespace mx::test
