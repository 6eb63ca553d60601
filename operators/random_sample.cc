// Random operators with array inputs: MXNet's sample_* (a distribution per parameter element), bernoulli with
// per-element probabilities, sample_multinomial and shuffle.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/random.h>
#include <mx/operators/random_generator.h>

namespace mx::nd {
namespace {

using op::random::Distribution;
using op::random::ElementRng;

struct SampleParams {
  Distribution distribution = Distribution::kUniform;
  Shape shape;  // draws per parameter element
  DType dtype = DType::kInt32;  // multinomial's index dtype
  std::uint64_t key = 0;
};

Shape joined(const Shape& lead, const Shape& tail) {
  Shape s = lead;
  for (std::int64_t e : tail) s.push_back(e);
  return s;
}

// The parameter arrays: floating, one shape and dtype.
template <const char* kName>
void infer_sample(const SampleParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  for (const op::ArrayInfo& info : in) {
    if (!is_floating(info.dtype)) {
      throw DTypeError(std::string(kName) + ": parameters must be floating arrays, got " + dtype_name(info.dtype));
    }
    if (info.shape != in[0].shape || info.dtype != in[0].dtype) {
      throw ShapeError(std::string(kName) + ": parameter arrays must have one shape and dtype, got " +
                       in[0].shape.str() + " and " + info.shape.str());
    }
  }
  out[0] = {joined(in[0].shape, p.shape), in[0].dtype};
}

// Whether a parameter pair is in the distribution's domain; `a` and `b` as the generator takes them.
bool valid(Distribution d, double a, double b) {
  switch (d) {
    case Distribution::kUniform: return a <= b;
    case Distribution::kNormal: return b >= 0;
    case Distribution::kExponential: return a > 0 && std::isfinite(a);
    case Distribution::kGamma: return a > 0 && b > 0;
    case Distribution::kPoisson: return a >= 0 && std::isfinite(a);
    case Distribution::kNegativeBinomial: return a > 0 && b > 0 && b <= 1;
    case Distribution::kBernoulli: return a >= 0 && a <= 1;
    default: return true;
  }
}

template <const char* kName>
void sample_cpu(const SampleParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const std::int64_t per = std::max<std::int64_t>(p.shape.size(), 1), count = in[0].size();
  std::vector<double> first(static_cast<std::size_t>(count)), second(static_cast<std::size_t>(count));
  convert_values(in[0].data, in[0].dtype, first.data(), DType::kFloat64, first.size());
  if (in.size() == 2) convert_values(in[1].data, in[1].dtype, second.data(), DType::kFloat64, second.size());
  if (p.distribution == Distribution::kExponential) {  // MXNet's sample_exponential takes the rate
    for (double& v : first) v = 1 / v;
  }
  for (std::int64_t j = 0; j < count; ++j) {
    const double a = first[static_cast<std::size_t>(j)], b = second[static_cast<std::size_t>(j)];
    if (!valid(p.distribution, a, b)) {
      throw Error(std::string(kName) + ": parameter " + std::to_string(j) + " is out of the distribution's domain (" +
                  std::to_string(p.distribution == Distribution::kExponential ? 1 / a : a) +
                  (in.size() == 2 ? ", " + std::to_string(b) : std::string()) + ")");
    }
  }
  dispatch_dtype(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T* y = out[0].ptr<T>();
    op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) {
        const auto j = static_cast<std::size_t>(i / per);
        ElementRng rng(p.key, static_cast<std::uint64_t>(i));
        y[i] = convert_value<T>(op::random::draw(p.distribution, first[j], second[j], rng));
      }
    });
  });
}

constexpr char kSampleUniform[] = "_sample_uniform", kSampleNormal[] = "_sample_normal",
               kSampleExponential[] = "_sample_exponential", kSampleGamma[] = "_sample_gamma",
               kSamplePoisson[] = "_sample_poisson", kSampleNegativeBinomial[] = "_sample_negative_binomial",
               kSampleBernoulli[] = "_random_bernoulli_like";

template <const char* kName>
constexpr op::Operator<SampleParams> sample_operator(int num_inputs) {
  return {.name = kName, .num_inputs = num_inputs, .infer = &infer_sample<kName>, .cpu = &sample_cpu<kName>};
}

const op::Operator<SampleParams> kUniform = op::define(sample_operator<kSampleUniform>(2));
const op::Operator<SampleParams> kNormal = op::define(sample_operator<kSampleNormal>(2));
const op::Operator<SampleParams> kExponential = op::define(sample_operator<kSampleExponential>(1));
const op::Operator<SampleParams> kGamma = op::define(sample_operator<kSampleGamma>(2));
const op::Operator<SampleParams> kPoisson = op::define(sample_operator<kSamplePoisson>(1));
const op::Operator<SampleParams> kNegativeBinomial = op::define(sample_operator<kSampleNegativeBinomial>(2));
const op::Operator<SampleParams> kBernoulliLike = op::define(sample_operator<kSampleBernoulli>(1));

NDArray sample(const op::Operator<SampleParams>& op, Distribution d, std::initializer_list<NDArray> params,
               const Shape& shape) {
  return op::invoke1(op, params, SampleParams{d, shape, DType::kInt32, op::random::next_key(params.begin()->context())});
}

// ---- multinomial ----
constexpr char kMultinomialName[] = "_sample_multinomial";

void infer_multinomial(const SampleParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Shape& s = in[0].shape;
  if (s.ndim() == 0 || s[s.ndim() - 1] == 0) {
    throw ShapeError(std::string(kMultinomialName) + ": data must have a nonempty last axis of weights, got " + s.str());
  }
  if (!is_floating(in[0].dtype)) throw DTypeError(std::string(kMultinomialName) + ": weights must be floating");
  out[0] = {joined(Shape(s.dims().first(static_cast<std::size_t>(s.ndim() - 1))), p.shape), p.dtype};
}

void multinomial_cpu(const SampleParams& p, std::span<const Blob> in, std::span<const Blob> out,
                     const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const std::int64_t k = s[s.ndim() - 1], rows = s.size() / k, per = std::max<std::int64_t>(p.shape.size(), 1);
  std::vector<double> cumulative(static_cast<std::size_t>(s.size()));
  convert_values(in[0].data, in[0].dtype, cumulative.data(), DType::kFloat64, cumulative.size());
  for (std::int64_t r = 0; r < rows; ++r) {
    double* row = cumulative.data() + r * k;
    for (std::int64_t c = 0; c < k; ++c) {
      if (!(row[c] >= 0) || !std::isfinite(row[c])) {
        throw Error(std::string(kMultinomialName) + ": weight " + std::to_string(c) + " of row " + std::to_string(r) +
                    " is " + std::to_string(row[c]) + "; weights must be finite and not negative");
      }
    }
    std::partial_sum(row, row + k, row);
    if (row[k - 1] <= 0) throw Error(std::string(kMultinomialName) + ": row " + std::to_string(r) + " has no weight");
  }
  std::vector<double> index(static_cast<std::size_t>(out[0].size()));
  op::parallel_for(out[0].size(), [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t i = begin; i < end; ++i) {
      const double* row = cumulative.data() + (i / per) * k;
      ElementRng rng(p.key, static_cast<std::uint64_t>(i));
      const double target = rng.uniform() * row[k - 1];
      const auto chosen = std::upper_bound(row, row + k, target) - row;  // skips zero-weight categories
      index[static_cast<std::size_t>(i)] = static_cast<double>(std::min<std::int64_t>(chosen, k - 1));
    }
  });
  convert_values(index.data(), DType::kFloat64, out[0].data, out[0].dtype, index.size());
}

const op::Operator<SampleParams> kMultinomial = op::define<SampleParams>(
    {.name = kMultinomialName, .infer = &infer_multinomial, .cpu = &multinomial_cpu});

// ---- shuffle: Fisher-Yates over the rows, one sequence of draws ----
void shuffle_cpu(const SampleParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const std::int64_t rows = s.ndim() == 0 ? 1 : s[0];
  const std::size_t row_bytes = rows == 0 ? 0 : static_cast<std::size_t>(s.size() / rows) * dtype_size(in[0].dtype);
  std::vector<std::int64_t> order(static_cast<std::size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  ElementRng rng(p.key, 0);
  for (std::int64_t i = rows - 1; i > 0; --i) {
    const auto j = std::min<std::int64_t>(i, static_cast<std::int64_t>(rng.uniform() * static_cast<double>(i + 1)));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  const auto* src = static_cast<const std::byte*>(in[0].data);
  auto* dst = static_cast<std::byte*>(out[0].data);
  for (std::int64_t i = 0; i < rows; ++i) {
    std::memcpy(dst + static_cast<std::size_t>(i) * row_bytes, src + order[static_cast<std::size_t>(i)] * row_bytes, row_bytes);
  }
}

const op::Operator<SampleParams> kShuffle = op::define<SampleParams>({
    .name = "_shuffle",
    .infer = [](const SampleParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) { out[0] = in[0]; },
    .cpu = &shuffle_cpu,
});

}  // namespace

NDArray sample_uniform(const NDArray& low, const NDArray& high, const Shape& shape) {
  return sample(kUniform, Distribution::kUniform, {low, high}, shape);
}
NDArray sample_normal(const NDArray& mu, const NDArray& sigma, const Shape& shape) {
  return sample(kNormal, Distribution::kNormal, {mu, sigma}, shape);
}
NDArray sample_exponential(const NDArray& lam, const Shape& shape) {
  return sample(kExponential, Distribution::kExponential, {lam}, shape);
}
NDArray sample_gamma(const NDArray& alpha, const NDArray& beta, const Shape& shape) {
  return sample(kGamma, Distribution::kGamma, {alpha, beta}, shape);
}
NDArray sample_poisson(const NDArray& lam, const Shape& shape) {
  return sample(kPoisson, Distribution::kPoisson, {lam}, shape);
}
NDArray sample_negative_binomial(const NDArray& k, const NDArray& p, const Shape& shape) {
  return sample(kNegativeBinomial, Distribution::kNegativeBinomial, {k, p}, shape);
}
NDArray sample_multinomial(const NDArray& data, const Shape& shape, DType dtype) {
  return op::invoke1(kMultinomial, {data}, SampleParams{Distribution::kUniform, shape, dtype, op::random::next_key(data.context())});
}

namespace random {
NDArray bernoulli(const NDArray& prob) { return sample(kBernoulliLike, Distribution::kBernoulli, {prob}, {}); }
NDArray multinomial(const NDArray& data, const Shape& shape, DType dtype) { return sample_multinomial(data, shape, dtype); }
NDArray shuffle(const NDArray& x) {
  return op::invoke1(kShuffle, {x}, SampleParams{Distribution::kUniform, {}, DType::kInt32, op::random::next_key(x.context())});
}
}  // namespace random

}  // namespace mx::nd
