// CTC by the forward-backward recursions in log space, per sequence on the CPU. The forward pass also writes the
// gradient with respect to the scores (softmax(x) - the posterior of each class at each step), which the
// backward pass scales by the head gradient, as MXNet's and warp-ctc's do.
#include <mx/operators/ctc.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/float_dispatch.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/recording.h>
#include <mx/operators/reduce.h>

namespace mx::nd {
namespace {

struct NoParams {};
constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double log_add(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  const double top = std::max(a, b);
  return top + std::log1p(std::exp(-std::abs(a - b)));
}

std::vector<double> host_values(const Blob& b) {
  std::vector<double> v(static_cast<std::size_t>(b.size()));
  convert_values(b.data, b.dtype, v.data(), DType::kFloat64, v.size());
  return v;
}

// One sequence: its loss, and its gradient written into grad (T, N, C) at column n.
template <class T>
double sequence(const T* x, T* grad, std::int64_t n, std::int64_t steps, std::int64_t batch, std::int64_t classes,
                std::int64_t length, const std::vector<std::int64_t>& labels) {
  const std::int64_t blank = classes - 1, S = 2 * static_cast<std::int64_t>(labels.size()) + 1;
  const auto at = [&](std::int64_t t, std::int64_t k) { return (t * batch + n) * classes + k; };
  // log softmax of each step's scores.
  std::vector<double> lp(static_cast<std::size_t>(length * classes));
  for (std::int64_t t = 0; t < length; ++t) {
    double top = kNegInf, total = 0;
    for (std::int64_t k = 0; k < classes; ++k) top = std::max(top, static_cast<double>(x[at(t, k)]));
    for (std::int64_t k = 0; k < classes; ++k) total += std::exp(static_cast<double>(x[at(t, k)]) - top);
    for (std::int64_t k = 0; k < classes; ++k) lp[t * classes + k] = static_cast<double>(x[at(t, k)]) - top - std::log(total);
  }
  // The extended label: blanks around and between the labels.
  const auto ext = [&](std::int64_t s) { return s % 2 == 0 ? blank : labels[static_cast<std::size_t>(s / 2)]; };
  const auto skip_allowed = [&](std::int64_t s) { return s >= 2 && ext(s) != blank && ext(s) != ext(s - 2); };
  std::vector<double> alpha(static_cast<std::size_t>(length * S), kNegInf), beta(alpha.size(), kNegInf);
  if (length > 0) {
    alpha[0] = lp[blank];
    if (S > 1) alpha[1] = lp[ext(1)];
  }
  for (std::int64_t t = 1; t < length; ++t) {
    for (std::int64_t s = 0; s < S; ++s) {
      double a = alpha[(t - 1) * S + s];
      if (s >= 1) a = log_add(a, alpha[(t - 1) * S + s - 1]);
      if (skip_allowed(s)) a = log_add(a, alpha[(t - 1) * S + s - 2]);
      alpha[t * S + s] = a == kNegInf ? kNegInf : a + lp[t * classes + ext(s)];
    }
  }
  double log_p = kNegInf;
  if (length > 0) log_p = S > 1 ? log_add(alpha[(length - 1) * S + S - 1], alpha[(length - 1) * S + S - 2]) : alpha[(length - 1) * S];
  for (std::int64_t t = 0; t < steps; ++t) {
    for (std::int64_t k = 0; k < classes; ++k) grad[at(t, k)] = T{0};
  }
  if (log_p == kNegInf) return std::numeric_limits<double>::infinity();
  beta[(length - 1) * S + S - 1] = lp[(length - 1) * classes + ext(S - 1)];
  if (S > 1) beta[(length - 1) * S + S - 2] = lp[(length - 1) * classes + ext(S - 2)];
  for (std::int64_t t = length - 2; t >= 0; --t) {
    for (std::int64_t s = 0; s < S; ++s) {
      double b = beta[(t + 1) * S + s];
      if (s + 1 < S) b = log_add(b, beta[(t + 1) * S + s + 1]);
      if (s + 2 < S && skip_allowed(s + 2)) b = log_add(b, beta[(t + 1) * S + s + 2]);
      beta[t * S + s] = b == kNegInf ? kNegInf : b + lp[t * classes + ext(s)];
    }
  }
  // d(-log p)/dx[t, k] = softmax(x_t)[k] - sum over s with ext(s) = k of alpha beta / (p y_t[k]).
  std::vector<double> posterior(static_cast<std::size_t>(classes));
  for (std::int64_t t = 0; t < length; ++t) {
    std::fill(posterior.begin(), posterior.end(), kNegInf);
    for (std::int64_t s = 0; s < S; ++s) {
      posterior[ext(s)] = log_add(posterior[ext(s)], alpha[t * S + s] + beta[t * S + s]);
    }
    for (std::int64_t k = 0; k < classes; ++k) {
      const double y = std::exp(lp[t * classes + k]);
      const double occupied = posterior[k] == kNegInf ? 0 : std::exp(posterior[k] - lp[t * classes + k] - log_p);
      grad[at(t, k)] = static_cast<T>(y - occupied);
    }
  }
  return -log_p;
}

void infer(const NoParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const Shape &data = in[0].shape, &label = in[1].shape;
  if (data.ndim() != 3 || label.ndim() != 2 || label[0] != data[1] || data[2] < 2 || in[2].shape != Shape{data[1]} ||
      in[3].shape != Shape{data[1]}) {
    throw ShapeError("CTCLoss: data must be (T, N, C) with C >= 2, label (N, L) and the lengths (N,), got data " +
                     data.str() + ", label " + label.str() + ", lengths " + in[2].shape.str() + " and " + in[3].shape.str());
  }
  if (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64) {
    throw DTypeError(std::string("CTCLoss: data must be float32 or float64, got ") + dtype_name(in[0].dtype));
  }
  out[0] = {Shape{data[1]}, in[0].dtype};
  out[1] = in[0];
}

void compute(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const std::int64_t steps = in[0].shape[0], batch = in[0].shape[1], classes = in[0].shape[2], width = in[1].shape[1];
  const std::vector<double> label = host_values(in[1]), data_lengths = host_values(in[2]), label_lengths = host_values(in[3]);
  // Every sequence's labels, checked before any work.
  std::vector<std::vector<std::int64_t>> labels(static_cast<std::size_t>(batch));
  std::vector<std::int64_t> lengths(static_cast<std::size_t>(batch));
  for (std::int64_t n = 0; n < batch; ++n) {
    const double length = data_lengths[n], count = label_lengths[n];
    if (!(length >= 0 && length <= static_cast<double>(steps)) || !(count >= 0 && count <= static_cast<double>(width))) {
      throw Error("CTCLoss: sequence " + std::to_string(n) + " has data length " + std::to_string(length) +
                  " and label length " + std::to_string(count) + "; at most " + std::to_string(steps) + " and " +
                  std::to_string(width));
    }
    lengths[n] = static_cast<std::int64_t>(length);
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) {
      const double c = label[n * width + i];
      if (!(c >= 0 && c < static_cast<double>(classes - 1)) || c != std::floor(c)) {
        throw Error("CTCLoss: label " + std::to_string(c) + " at position " + std::to_string(i) + " of sequence " +
                    std::to_string(n) + " is not a class in [0, " + std::to_string(classes - 1) + ") (" +
                    std::to_string(classes - 1) + " is the blank)");
      }
      labels[n].push_back(static_cast<std::int64_t>(c));
    }
  }
  op::dispatch_float32_or_64(in[0].dtype, "CTCLoss", [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T *loss = out[0].ptr<T>(), *grad = out[1].ptr<T>();
    op::parallel_for(
        batch,
        [&](std::int64_t begin, std::int64_t end) {
          for (std::int64_t n = begin; n < end; ++n) {
            loss[n] = static_cast<T>(sequence(x, grad, n, steps, batch, classes, lengths[n], labels[n]));
          }
        },
        1);
  });
}

const op::Operator<NoParams> kCTCLoss = op::define<NoParams>({
    .name = "CTCLoss",
    .num_inputs = 4,
    .num_outputs = 2,
    .infer = &infer,
    .cpu = &compute,
    // The gradient the forward pass wrote, scaled per sequence by the head gradient.
    .gradient = [](const NoParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      if (op::is_recording()) throw Error("CTCLoss: second-order gradients are not supported");
      const NDArray& g = args.output_grads[0];
      const NDArray& grad = args.outputs[1];
      NDArray d = g.is_none() ? grad : grad * g.reshape({1, grad.shape()[1], 1});
      return {d, NDArray(), NDArray(), NDArray()};
    },
});

}  // namespace

NDArray CTCLoss(const NDArray& data, const NDArray& label, const NDArray& data_lengths, const NDArray& label_lengths) {
  if (data.ndim() != 3 || label.ndim() != 2) {
    throw ShapeError("CTCLoss: data must be (T, N, C) and label (N, L), got " + data.shape().str() + " and " +
                     label.shape().str());
  }
  const Context ctx = data.context();
  const NDArray steps = data_lengths.is_none() ? full({data.shape()[1]}, static_cast<double>(data.shape()[0]), ctx) : data_lengths;
  // Without lengths, the labels before the first -1: padding is at the end, so the count of the others.
  const NDArray counts = label_lengths.is_none() ? sum(label >= 0.0, {1}) : label_lengths;
  std::vector<NDArray> outputs(2);
  const std::vector<NDArray> inputs = {data, label, steps, counts};
  op::invoke(kCTCLoss, std::span<const NDArray>(inputs), NoParams{}, std::span<NDArray>(outputs));
  return outputs[0];
}

}  // namespace mx::nd
