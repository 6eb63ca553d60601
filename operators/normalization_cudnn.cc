#include <mx/operators/normalization_cudnn.h>

#include <cudnn.h>

#include <string>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/cudnn_common.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/batch_norm_gradient.h>
#include <mx/operators/invoke.h>
#include <mx/operators/recording.h>

namespace mx::nd::cudnn {
namespace {

using op::cudnn::check;
using op::cudnn::handle_for;
using op::cudnn::data_type;
using op::cudnn::Scalars;

struct NormParams {
  double eps = 1e-3;
};

// The data as cuDNN's 4- or 5-axis NCHW tensor (trailing extents of 1 where it has fewer axes), and the
// per-channel descriptor cuDNN derives from it.
class Descriptors {
 public:
  Descriptors(const Shape& data, DType dtype) {
    check(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&channel), "cudnnCreateTensorDescriptor");
    std::vector<int> dims;
    for (std::int64_t e : data) dims.push_back(static_cast<int>(e));
    while (dims.size() < 4) dims.push_back(1);
    std::vector<int> strides(dims.size(), 1);
    for (int a = static_cast<int>(dims.size()) - 2; a >= 0; --a) strides[a] = strides[a + 1] * dims[a + 1];
    check(cudnnSetTensorNdDescriptor(x, data_type(dtype, "BatchNorm"), static_cast<int>(dims.size()), dims.data(), strides.data()),
          "cudnnSetTensorNdDescriptor");
    check(cudnnDeriveBNTensorDescriptor(channel, x, CUDNN_BATCHNORM_SPATIAL), "cudnnDeriveBNTensorDescriptor");
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(channel);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;
  cudnnTensorDescriptor_t x = nullptr, channel = nullptr;
};

// The statistics and parameters cuDNN wants per channel: float64 for float64 data, float32 otherwise.
DType channel_dtype(DType data) { return data == DType::kFloat64 ? DType::kFloat64 : DType::kFloat32; }

// Inputs (data, scale, beta); outputs (y, the batch mean, the batch's 1 / sqrt(var + eps)).
void infer_forward(const NormParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const DType stats = channel_dtype(in[0].dtype);
  if (in[1].dtype != stats || in[2].dtype != stats) {
    throw DTypeError(std::string("BatchNorm on the GPU: gamma and beta must be ") + dtype_name(stats) + " for " +
                     dtype_name(in[0].dtype) + " data");
  }
  out[0] = in[0];
  out[1] = out[2] = {in[1].shape, stats};
}

void forward_gpu(const NormParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const Descriptors d(in[0].shape, in[0].dtype);
  const Scalars s(in[0].dtype);
  check(cudnnBatchNormalizationForwardTraining(handle_for(ctx.run.stream), CUDNN_BATCHNORM_SPATIAL, s.one(), s.zero(),
                                               d.x, in[0].data, d.x, out[0].data, d.channel, in[1].data, in[2].data,
                                               0.0, nullptr, nullptr, p.eps, out[1].data, out[2].data),
        "cudnnBatchNormalizationForwardTraining");
}

// Inputs (data, scale, dy, mean, inv_std); outputs (dx, dscale, dbeta).
void infer_backward(const NormParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  out[0] = in[0];
  out[1] = out[2] = in[1];
}

void backward_gpu(const NormParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const Descriptors d(in[0].shape, in[0].dtype);
  const Scalars s(in[0].dtype);
  check(cudnnBatchNormalizationBackward(handle_for(ctx.run.stream), CUDNN_BATCHNORM_SPATIAL, s.one(), s.zero(), s.one(),
                                        s.zero(), d.x, in[0].data, d.x, in[2].data, d.x, out[0].data, d.channel,
                                        in[1].data, out[1].data, out[2].data, p.eps, in[3].data, in[4].data),
        "cudnnBatchNormalizationBackward");
}

const op::Operator<NormParams> kBackward = op::define<NormParams>({
    .name = "_backward_cudnn_batch_norm",
    .num_inputs = 5,
    .num_outputs = 3,
    .infer = &infer_backward,
    .gpu = &backward_gpu,
    .gradient = [](const NormParams&, const op::GradientArgs&) -> std::vector<NDArray> {
      throw Error("BatchNorm on the GPU: second-order gradients through cuDNN's batch normalization are not supported");
    },
});

std::vector<NDArray> forward_gradient(const NormParams& p, const op::GradientArgs& args) {
  return batch_norm_gradient(kBackward, p, args);
}

const op::Operator<NormParams> kForward = op::define<NormParams>({
    .name = "_cudnn_batch_norm",
    .num_inputs = 3,
    .num_outputs = 3,
    .infer = &infer_forward,
    .gpu = &forward_gpu,
    .gradient = &forward_gradient,
});

}  // namespace

bool supports_batch_norm(const NDArray& data, const BatchNormOptions& options) {
  const DType t = data.dtype();
  const int axis = options.axis < 0 ? options.axis + data.ndim() : options.axis;
  return data.context().is_gpu() && data.ndim() >= 2 && data.ndim() <= 5 && axis == 1 && options.eps >= CUDNN_BN_MIN_EPSILON &&
         (t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16);
}

NDArray batch_norm_training(const NDArray& data, const NDArray& scale, const NDArray& beta, NDArray& moving_mean,
                            NDArray& moving_var, const BatchNormOptions& options) {
  const DType stats = channel_dtype(data.dtype());
  const NDArray g = scale.dtype() == stats ? scale : scale.astype(stats);
  const NDArray b = beta.dtype() == stats ? beta : beta.astype(stats);
  std::vector<NDArray> outputs(3);
  const std::vector<NDArray> inputs = {data, g, b};
  op::invoke(kForward, std::span<const NDArray>(inputs), NormParams{options.eps}, std::span<NDArray>(outputs));
  {  // the moving statistics are state, not part of the graph; the variance is the batch's, biased, as on the CPU
    const op::PauseRecording pause;
    const NDArray batch_var = reciprocal(square(outputs[2].detach())) - options.eps;
    moving_mean *= options.momentum;
    moving_mean += outputs[1].detach().astype(moving_mean.dtype()) * (1 - options.momentum);
    moving_var *= options.momentum;
    moving_var += batch_var.astype(moving_var.dtype()) * (1 - options.momentum);
  }
  return outputs[0];
}

}  // namespace mx::nd::cudnn
