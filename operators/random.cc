// The random operators with number parameters: one operator per distribution (named as MXNet's), sharing one
// kernel over the counter-based generator.
#include <cmath>
#include <string>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/random.h>
#include <mx/operators/random_generator.h>

namespace mx {
namespace {

using op::random::Distribution;

struct RandomParams {
  Distribution distribution = Distribution::kUniform;
  double a = 0, b = 1;
  Shape shape;
  DType dtype = DType::kFloat32;
  std::uint64_t key = 0;  // the stream, fixed at the call
};

void infer_random(const RandomParams& p, std::span<const op::ArrayInfo>, std::span<op::ArrayInfo> out) {
  const bool integral = p.distribution == Distribution::kRandint;
  if (!integral && !is_floating(p.dtype)) {
    throw DTypeError(std::string("random: ") + dtype_name(p.dtype) + " is not a floating dtype");
  }
  for (std::int64_t extent : p.shape) {
    if (extent < 0) throw ShapeError("random: negative extent in shape " + p.shape.str());
  }
  out[0] = {p.shape, p.dtype};
}

void random_cpu(const RandomParams& p, std::span<const Blob>, std::span<const Blob> out, const op::ComputeContext&) {
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T* y = out[0].ptr<T>();
    op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        op::random::ElementRng rng(p.key, static_cast<std::uint64_t>(i));
        y[i] = convert_value<T>(op::random::draw(p.distribution, p.a, p.b, rng));
      }
    });
  });
}

#if MXPP_USE_CUDA
// Uniform and normal draws on the GPU; the other distributions' samplers (rejection loops) are host-only.
void random_gpu(const RandomParams& p, std::span<const Blob>, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const int dtype = static_cast<int>(out[0].dtype);
  switch (p.distribution) {
    case Distribution::kUniform:
      op::gpu::random_uniform(dtype, out[0].data, out[0].size(), p.a, p.b, p.key, ctx.run.stream);
      return;
    case Distribution::kNormal:
      op::gpu::random_normal(dtype, out[0].data, out[0].size(), p.a, p.b, p.key, ctx.run.stream);
      return;
    default: throw Error("random: this distribution has no GPU kernel; draw on cpu() and copy with as_in_context");
  }
}
#endif

constexpr op::Operator<RandomParams> random_operator(const char* name, bool on_gpu = false) {
  return {.name = name, .num_inputs = 0, .infer = &infer_random, .cpu = &random_cpu,
          .gpu = on_gpu ? MX_GPU(&random_gpu) : nullptr};
}

const op::Operator<RandomParams> kUniform = op::define(random_operator("_random_uniform", true));
const op::Operator<RandomParams> kNormal = op::define(random_operator("_random_normal", true));
const op::Operator<RandomParams> kExponential = op::define(random_operator("_random_exponential"));
const op::Operator<RandomParams> kGamma = op::define(random_operator("_random_gamma"));
const op::Operator<RandomParams> kPoisson = op::define(random_operator("_random_poisson"));
const op::Operator<RandomParams> kNegativeBinomial = op::define(random_operator("_random_negative_binomial"));
const op::Operator<RandomParams> kCauchy = op::define(random_operator("_random_cauchy"));
const op::Operator<RandomParams> kGeometric = op::define(random_operator("_random_geometric"));
const op::Operator<RandomParams> kBernoulli = op::define(random_operator("_random_bernoulli"));
const op::Operator<RandomParams> kRandint = op::define(random_operator("_random_randint"));

NDArray draw(const op::Operator<RandomParams>& op, Distribution d, double a, double b, const Shape& shape,
             Context ctx, DType dtype) {
  return op::invoke1(op, {}, RandomParams{d, a, b, shape, dtype, op::random::next_key(ctx)}, ctx);
}

// Throws, naming the distribution and the parameter, unless `ok`.
void require(bool ok, const char* name, const std::string& what) {
  if (!ok) throw Error(std::string(name) + ": " + what);
}
std::string text(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

namespace nd::random {

NDArray uniform(double low, double high, const Shape& shape, Context ctx, DType dtype) {
  require(low <= high, "uniform", "low " + text(low) + " exceeds high " + text(high));
  return draw(kUniform, Distribution::kUniform, low, high, shape, ctx, dtype);
}
NDArray normal(double loc, double scale, const Shape& shape, Context ctx, DType dtype) {
  require(scale >= 0, "normal", "scale must not be negative, got " + text(scale));
  return draw(kNormal, Distribution::kNormal, loc, scale, shape, ctx, dtype);
}
NDArray exponential(double scale, const Shape& shape, Context ctx, DType dtype) {
  require(scale > 0, "exponential", "scale must be positive, got " + text(scale));
  return draw(kExponential, Distribution::kExponential, scale, 0, shape, ctx, dtype);
}
NDArray gamma(double alpha, double beta, const Shape& shape, Context ctx, DType dtype) {
  require(alpha > 0 && beta > 0, "gamma", "alpha and beta must be positive, got " + text(alpha) + " and " + text(beta));
  return draw(kGamma, Distribution::kGamma, alpha, beta, shape, ctx, dtype);
}
NDArray poisson(double lam, const Shape& shape, Context ctx, DType dtype) {
  require(lam >= 0 && std::isfinite(lam), "poisson", "lam must be finite and not negative, got " + text(lam));
  return draw(kPoisson, Distribution::kPoisson, lam, 0, shape, ctx, dtype);
}
NDArray negative_binomial(double k, double p, const Shape& shape, Context ctx, DType dtype) {
  require(k > 0 && p > 0 && p <= 1, "negative_binomial", "needs k > 0 and p in (0, 1], got " + text(k) + " and " + text(p));
  return draw(kNegativeBinomial, Distribution::kNegativeBinomial, k, p, shape, ctx, dtype);
}
NDArray cauchy(double median, double sigma, const Shape& shape, Context ctx, DType dtype) {
  require(sigma > 0, "cauchy", "sigma must be positive, got " + text(sigma));
  return draw(kCauchy, Distribution::kCauchy, median, sigma, shape, ctx, dtype);
}
NDArray geometric(double p, const Shape& shape, Context ctx, DType dtype) {
  require(p > 0 && p <= 1, "geometric", "p must be in (0, 1], got " + text(p));
  return draw(kGeometric, Distribution::kGeometric, p, 0, shape, ctx, dtype);
}
NDArray bernoulli(double p, const Shape& shape, Context ctx, DType dtype) {
  require(p >= 0 && p <= 1, "bernoulli", "p must be in [0, 1], got " + text(p));
  return draw(kBernoulli, Distribution::kBernoulli, p, 0, shape, ctx, dtype);
}
NDArray randint(std::int64_t low, std::int64_t high, const Shape& shape, Context ctx, DType dtype) {
  require(low < high, "randint", "low " + std::to_string(low) + " must be below high " + std::to_string(high));
  return draw(kRandint, Distribution::kRandint, static_cast<double>(low), static_cast<double>(high), shape, ctx, dtype);
}

}  // namespace nd::random

namespace nd {
NDArray random_exponential(double lam, const Shape& shape, Context ctx, DType dtype) {
  require(lam > 0, "random_exponential", "lam must be positive, got " + text(lam));
  return random::exponential(1 / lam, shape, ctx, dtype);
}
}  // namespace nd

}  // namespace mx
