#pragma once
// Random arrays. Each device has its own generator: a call draws from its own counter-based stream, numbered in
// call order on its device after the last seed, so the values depend only on the seed and the order of calls,
// never on threads or timing. Parameters given as numbers are checked at the call; parameters given as arrays
// (nd::sample_*) are checked while drawing, and a bad one surfaces at the next sync point.
#include <cstdint>

#include <mx/ndarray/ndarray.h>

namespace mx {
namespace random {
// Restarts every device's streams: the calls after seed(s) give the same values each run.
void seed(std::uint64_t seed);
// Restarts one device's streams only (MXNet's mx.random.seed(s, ctx)).
void seed(std::uint64_t seed, Context ctx);
}  // namespace random

namespace nd::random {
// Uniform in [low, high).
NDArray uniform(double low, double high, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Normal with mean `loc` and standard deviation `scale`.
NDArray normal(double loc, double scale, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Exponential with mean `scale` (MXNet's; PyTorch's exponential_(lambd) is scale 1 / lambd).
NDArray exponential(double scale, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Gamma with shape `alpha` and scale `beta` (mean alpha * beta).
NDArray gamma(double alpha, double beta, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Poisson counts with rate `lam`.
NDArray poisson(double lam, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Failures before `k` successes of probability `p` (MXNet's negative_binomial).
NDArray negative_binomial(double k, double p, const Shape& shape, Context ctx = current_context(),
                          DType dtype = DType::kFloat32);
// Cauchy with location `median` and scale `sigma` (PyTorch's cauchy_).
NDArray cauchy(double median, double sigma, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// Trials up to and including the first success of probability p: 1, 2, ... (PyTorch's geometric_).
NDArray geometric(double p, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// 1 with probability p, else 0.
NDArray bernoulli(double p, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
// 1 with probability prob[i] at each element (PyTorch's x.bernoulli()), in prob's shape and dtype.
NDArray bernoulli(const NDArray& prob);
// Integers in [low, high).
NDArray randint(std::int64_t low, std::int64_t high, const Shape& shape, Context ctx = current_context(),
                DType dtype = DType::kInt32);
// Category indices drawn from the (unnormalized, nonnegative) weights along data's last axis: shape
// data.shape[:-1] + shape (MXNet's sample_multinomial; PyTorch's multinomial with replacement).
NDArray multinomial(const NDArray& data, const Shape& shape = {}, DType dtype = DType::kInt32);
// x with its rows (along the first axis) in a random order.
NDArray shuffle(const NDArray& x);
}  // namespace nd::random

namespace nd {
// MXNet's sample_*: one distribution per element of the parameter arrays (of one shape), `shape` draws from each:
// the result has shape params.shape + shape.
NDArray sample_uniform(const NDArray& low, const NDArray& high, const Shape& shape = {});
NDArray sample_normal(const NDArray& mu, const NDArray& sigma, const Shape& shape = {});
NDArray sample_exponential(const NDArray& lam, const Shape& shape = {});  // rate lam, as MXNet's
NDArray sample_gamma(const NDArray& alpha, const NDArray& beta, const Shape& shape = {});
NDArray sample_poisson(const NDArray& lam, const Shape& shape = {});
NDArray sample_negative_binomial(const NDArray& k, const NDArray& p, const Shape& shape = {});
NDArray sample_multinomial(const NDArray& data, const Shape& shape = {}, DType dtype = DType::kInt32);
// MXNet's nd.random_exponential(lam): rate lam.
NDArray random_exponential(double lam, const Shape& shape, Context ctx = current_context(), DType dtype = DType::kFloat32);
}  // namespace nd

}  // namespace mx
