#pragma once
// A training progress line: a bar with items/s and the running loss, redrawn in place on a terminal; on a pipe
// or file, a plain line at each quarter of the epoch, so that logs stay readable.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace examples {

class Progress {
 public:
  Progress(std::size_t total_steps, std::string label)
      : total_(total_steps), label_(std::move(label)), terminal_(isatty(fileno(stdout)) != 0),
        start_(std::chrono::steady_clock::now()) {}

  void step(std::int64_t items, double loss) {
    ++done_;
    items_ += items;
    loss_sum_ += loss;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (!terminal_) {
      const std::size_t quarter = std::max<std::size_t>(total_ / 4, 1);
      if (done_ % quarter == 0 && done_ < total_) {
        std::printf("%s: %zu/%zu batches, %.0f items/s, loss %.4f\n", label_.c_str(), done_, total_,
                    items_ / std::max(seconds, 1e-9), loss_sum_ / static_cast<double>(done_));
        std::fflush(stdout);
      }
      return;
    }
    const int width = 30, filled = static_cast<int>(width * done_ / std::max<std::size_t>(total_, 1));
    std::printf("\r%s [%s%s] %zu/%zu  %.0f items/s  loss %.4f", label_.c_str(), std::string(filled, '=').c_str(),
                std::string(width - filled, ' ').c_str(), done_, total_, items_ / std::max(seconds, 1e-9),
                loss_sum_ / static_cast<double>(done_));
    std::fflush(stdout);
  }

  void finish() {
    if (terminal_) std::printf("\n");
  }

 private:
  std::size_t total_, done_ = 0;
  std::string label_;
  bool terminal_;
  std::chrono::steady_clock::time_point start_;
  double items_ = 0, loss_sum_ = 0;
};

}  // namespace examples
