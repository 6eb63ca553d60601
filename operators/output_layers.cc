// The regression outputs, MakeLoss and BlockGrad: forward a copy (or the sigmoid), backward the loss's gradient.
#include <mx/operators/output_layers.h>

#include <string>
#include <type_traits>

#include <mx/operators/convert_split.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/math_functors.h>
#include <mx/operators/reduce.h>

namespace mx {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

void require_floating(const char* op, DType dtype) {
  bool floating = false;
  dispatch_dtype(dtype, [&](auto tag) { floating = std::is_floating_point_v<op::compute_t<decltype(tag)>>; });
  if (!floating) throw DTypeError(std::string(op) + ": data must be floating point, got " + dtype_name(dtype));
}

void copy_cpu(std::span<const Blob> in, std::span<const Blob> out) {
  op::convert_split(in[0].data, in[0].dtype, out[0].data, out[0].dtype, out[0].size());
}
void sigmoid_cpu(std::span<const Blob> in, std::span<const Blob> out) {
  dispatch_dtype(out[0].dtype, [&](auto tag) { op::unary_kernel<decltype(tag)>(in[0], out[0], op::functors::Sigmoid{}); });
}
#if MXPP_USE_CUDA
void copy_gpu(std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const int dtype = static_cast<int>(out[0].dtype);
  op::gpu::cast(dtype, in[0].data, dtype, out[0].data, out[0].size(), ctx.run.stream);
}
void sigmoid_gpu(std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::unary<op::functors::Sigmoid>(static_cast<int>(out[0].dtype), in[0].data, out[0].data, out[0].size(),
                                        ctx.run.stream);
}
#endif

// ---- regression outputs ----

enum class Regression { kLinear, kLogistic, kMAE };
constexpr const char* regression_name(Regression r) {
  return r == Regression::kLinear ? "LinearRegressionOutput"
         : r == Regression::kLogistic ? "LogisticRegressionOutput" : "MAERegressionOutput";
}

template <Regression R>
void infer_regression(const nd::RegressionOutputOptions&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  require_floating(regression_name(R), in[0].dtype);
  const Shape &data = in[0].shape, &label = in[1].shape;
  if (data.ndim() == 0 || label.ndim() == 0 || label[0] != data[0] || label.size() != data.size()) {
    throw ShapeError(std::string(regression_name(R)) + ": label " + label.str() + " does not fit data " + data.str() +
                     " (the same number of rows and of values)");
  }
  out[0] = in[0];
}

template <Regression R>
void regression_cpu(const nd::RegressionOutputOptions&, std::span<const Blob> in, std::span<const Blob> out,
                    const ComputeContext&) {
  R == Regression::kLogistic ? sigmoid_cpu(in, out) : copy_cpu(in, out);
}
#if MXPP_USE_CUDA
template <Regression R>
void regression_gpu(const nd::RegressionOutputOptions&, std::span<const Blob> in, std::span<const Blob> out,
                    const ComputeContext& ctx) {
  R == Regression::kLogistic ? sigmoid_gpu(in, out, ctx) : copy_gpu(in, out, ctx);
}
#endif

template <Regression R>
std::vector<NDArray> regression_gradient(const nd::RegressionOutputOptions& o, const op::GradientArgs& args) {
  const NDArray& out = args.outputs[0];
  NDArray label = args.inputs[1].reshape(out.shape());
  if (label.dtype() != out.dtype()) label = nd::astype(label, out.dtype());
  const double scale = o.grad_scale * static_cast<double>(out.shape()[0]) / static_cast<double>(out.size());
  const NDArray error = out - label;
  return {(R == Regression::kMAE ? nd::sign(error) : error) * scale, NDArray()};
}

void regression_to_attrs(const nd::RegressionOutputOptions& o, int, op::Attrs& attrs) {
  attrs["grad_scale"] = op::attr_string(o.grad_scale);
}
nd::RegressionOutputOptions regression_from_attrs(op::AttrReader& attrs, int) {
  nd::RegressionOutputOptions o;
  attrs.read("grad_scale", o.grad_scale);
  return o;
}

template <Regression R>
op::Operator<nd::RegressionOutputOptions> regression_operator() {
  return {.name = regression_name(R),
          .num_inputs = 2,
          .infer = &infer_regression<R>,
          .cpu = &regression_cpu<R>,
          .gpu = MX_GPU(&regression_gpu<R>),
          .gradient = &regression_gradient<R>,
          .to_attrs = &regression_to_attrs,
          .from_attrs = &regression_from_attrs,
          .input_names = {"data", "label"}};
}
const auto kLinearRegression = op::define(regression_operator<Regression::kLinear>());
const auto kLogisticRegression = op::define(regression_operator<Regression::kLogistic>());
const auto kMAERegression = op::define(regression_operator<Regression::kMAE>());

// ---- MakeLoss and BlockGrad ----

void infer_identity(const char* op, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  require_floating(op, in[0].dtype);
  out[0] = in[0];
}

std::vector<NDArray> make_loss_gradient(const nd::MakeLossOptions& o, const op::GradientArgs& args) {
  const NDArray& data = args.inputs[0];
  switch (o.normalization) {
    case nd::LossNormalization::kNull:
      return {nd::full_like(data, o.grad_scale)};
    case nd::LossNormalization::kBatch:
      return {nd::full_like(data, o.grad_scale / static_cast<double>(data.ndim() == 0 ? 1 : data.shape()[0]))};
    case nd::LossNormalization::kValid: {
      const NDArray valid = nd::maximum(nd::sum(nd::astype(data > o.valid_thresh, data.dtype())), 1.0);
      return {nd::full_like(data, o.grad_scale) / valid};
    }
  }
  return {};
}

const char* normalization_name(nd::LossNormalization n) {
  return n == nd::LossNormalization::kNull ? "null" : n == nd::LossNormalization::kBatch ? "batch" : "valid";
}

const op::Operator<nd::MakeLossOptions> kMakeLoss = op::define<nd::MakeLossOptions>({
    .name = "MakeLoss",
    .num_inputs = 1,
    .infer = [](const nd::MakeLossOptions&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
      infer_identity("MakeLoss", in, out);
    },
    .cpu = [](const nd::MakeLossOptions&, std::span<const Blob> in, std::span<const Blob> out,
              const ComputeContext&) { copy_cpu(in, out); },
#if MXPP_USE_CUDA
    .gpu = [](const nd::MakeLossOptions&, std::span<const Blob> in, std::span<const Blob> out,
              const ComputeContext& ctx) { copy_gpu(in, out, ctx); },
#endif
    .gradient = &make_loss_gradient,
    .to_attrs = [](const nd::MakeLossOptions& o, int, op::Attrs& attrs) {
      attrs["grad_scale"] = op::attr_string(o.grad_scale);
      attrs["normalization"] = normalization_name(o.normalization);
      attrs["valid_thresh"] = op::attr_string(o.valid_thresh);
    },
    .from_attrs = [](op::AttrReader& attrs, int) {
      nd::MakeLossOptions o;
      attrs.read("grad_scale", o.grad_scale);
      attrs.read("valid_thresh", o.valid_thresh);
      std::string normalization = "null";
      attrs.read("normalization", normalization);
      for (auto n : {nd::LossNormalization::kNull, nd::LossNormalization::kBatch, nd::LossNormalization::kValid}) {
        if (normalization == normalization_name(n)) {
          o.normalization = n;
          return o;
        }
      }
      throw Error("MakeLoss: normalization=\"" + normalization + "\" is not one of null, batch, valid");
    },
    .input_names = {"data"},
});

struct NoParams {};
// No gradient function: autograd treats the output as a constant.
const op::Operator<NoParams> kBlockGrad = op::define<NoParams>({
    .name = "BlockGrad",
    .num_inputs = 1,
    .infer = [](const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) { out[0] = in[0]; },
    .cpu = [](const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
      copy_cpu(in, out);
    },
#if MXPP_USE_CUDA
    .gpu = [](const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
      copy_gpu(in, out, ctx);
    },
#endif
    .input_names = {"data"},
});

}  // namespace

namespace nd {

NDArray LinearRegressionOutput(const NDArray& data, const NDArray& label, const RegressionOutputOptions& options) {
  return op::invoke1(kLinearRegression, {data, label}, options, data.context());
}
NDArray LogisticRegressionOutput(const NDArray& data, const NDArray& label, const RegressionOutputOptions& options) {
  return op::invoke1(kLogisticRegression, {data, label}, options, data.context());
}
NDArray MAERegressionOutput(const NDArray& data, const NDArray& label, const RegressionOutputOptions& options) {
  return op::invoke1(kMAERegression, {data, label}, options, data.context());
}
NDArray MakeLoss(const NDArray& data, const MakeLossOptions& options) {
  return op::invoke1(kMakeLoss, {data}, options, data.context());
}
NDArray BlockGrad(const NDArray& data) { return op::invoke1(kBlockGrad, {data}, NoParams{}, data.context()); }

}  // namespace nd
}  // namespace mx
