#include "torch_peer.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <limits>

namespace bench {
namespace {
double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
}  // namespace

std::optional<double> torch_scalar_add_ns(int ops, int repeats) {
  torch::NoGradGuard no_grad;
  auto x = torch::ones({1});
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const double start = now();
    torch::Tensor y;
    for (int i = 0; i < ops; ++i) y = x + 1;
    best = std::min(best, (now() - start) / ops * 1e9);
  }
  return best;
}

std::optional<double> torch_add_seconds(long n, int repeats) {
  torch::NoGradGuard no_grad;
  auto a = torch::ones({n}), b = torch::ones({n});
  torch::Tensor c = a + b;
  double best = std::numeric_limits<double>::max();
  for (int r = 0; r < repeats; ++r) {
    const double start = now();
    c = a + b;
    best = std::min(best, now() - start);
  }
  return best;
}

}  // namespace bench
