#include <mx/operators/convolution_cudnn.h>

#include <mx/operators/cudnn_common.h>
#include <mx/operators/gpu_blas.h>

#include <cudnn.h>
#include <cuda_runtime_api.h>

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/invoke.h>

namespace mx::nd::cudnn {
namespace {

using op::cudnn::check;
using op::cudnn::handle_for;
using op::cudnn::data_type;
using op::cudnn::Scalars;
using op::gpu::tf32_allowed;

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) throw Error(std::string(what) + ": " + cudaGetErrorString(status));
}

struct ConvParams {
  ConvShape shape;
  std::int64_t num_filter = 0, num_group = 1;
};
// The gradient's outputs: dx when need_data, dw when need_weight, in that order.
struct BackwardParams {
  ConvParams conv;
  bool need_data = true, need_weight = true;
};

std::int64_t at(const std::vector<std::int64_t>& v, std::size_t a, std::int64_t fallback) {
  return v.empty() ? fallback : v[std::min(a, v.size() - 1)];
}

// The descriptors of one convolution; 1-D convolutions are 2-D ones of height 1 (cuDNN's tensors have 4 or 5 axes).
class Descriptors {
 public:
  Descriptors(const ConvParams& p, const Shape& data, const Shape& weight, const Shape& out, DType dtype) {
    check(cudnnCreateTensorDescriptor(&x), "cudnnCreateTensorDescriptor");
    check(cudnnCreateTensorDescriptor(&y), "cudnnCreateTensorDescriptor");
    check(cudnnCreateFilterDescriptor(&w), "cudnnCreateFilterDescriptor");
    check(cudnnCreateConvolutionDescriptor(&conv), "cudnnCreateConvolutionDescriptor");
    const cudnnDataType_t type = data_type(dtype, "Convolution");
    const bool one_d = data.ndim() == 3;
    set_tensor(x, data, one_d, type);
    set_tensor(y, out, one_d, type);
    std::vector<int> filter = dims(weight, one_d);
    check(cudnnSetFilterNdDescriptor(w, type, CUDNN_TENSOR_NCHW, static_cast<int>(filter.size()), filter.data()),
          "cudnnSetFilterNdDescriptor");
    const std::size_t axes = p.shape.kernel.size();
    std::vector<int> pad, stride, dilate;
    if (one_d) pad = {0}, stride = {1}, dilate = {1};
    for (std::size_t a = 0; a < axes; ++a) {
      pad.push_back(static_cast<int>(at(p.shape.pad, a, 0)));
      stride.push_back(static_cast<int>(at(p.shape.stride, a, 1)));
      dilate.push_back(static_cast<int>(at(p.shape.dilate, a, 1)));
    }
    const cudnnDataType_t compute = dtype == DType::kFloat64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT;
    check(cudnnSetConvolutionNdDescriptor(conv, static_cast<int>(pad.size()), pad.data(), stride.data(), dilate.data(),
                                          CUDNN_CROSS_CORRELATION, compute),
          "cudnnSetConvolutionNdDescriptor");
    check(cudnnSetConvolutionGroupCount(conv, static_cast<int>(p.num_group)), "cudnnSetConvolutionGroupCount");
    const bool half = dtype == DType::kFloat16 || dtype == DType::kBFloat16;
    const cudnnMathType_t math = half ? CUDNN_TENSOR_OP_MATH
                                 : (dtype == DType::kFloat32 && !tf32_allowed()) ? CUDNN_FMA_MATH
                                                                                 : CUDNN_DEFAULT_MATH;
    check(cudnnSetConvolutionMathType(conv, math), "cudnnSetConvolutionMathType");
  }
  ~Descriptors() {
    cudnnDestroyTensorDescriptor(x);
    cudnnDestroyTensorDescriptor(y);
    cudnnDestroyFilterDescriptor(w);
    cudnnDestroyConvolutionDescriptor(conv);
  }
  Descriptors(const Descriptors&) = delete;
  Descriptors& operator=(const Descriptors&) = delete;

  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;

 private:
  static std::vector<int> dims(const Shape& s, bool one_d) {
    std::vector<int> d;
    for (int a = 0; a < s.ndim(); ++a) {
      if (one_d && a == 2) d.push_back(1);
      d.push_back(static_cast<int>(s[a]));
    }
    return d;
  }
  static void set_tensor(cudnnTensorDescriptor_t desc, const Shape& s, bool one_d, cudnnDataType_t type) {
    const std::vector<int> d = dims(s, one_d);
    std::vector<int> strides(d.size(), 1);
    for (int a = static_cast<int>(d.size()) - 2; a >= 0; --a) strides[a] = strides[a + 1] * d[a + 1];
    check(cudnnSetTensorNdDescriptor(desc, type, static_cast<int>(d.size()), d.data(), strides.data()),
          "cudnnSetTensorNdDescriptor");
  }
};

// The algorithms chosen for one problem, found once (cudnnFind* runs each candidate) and kept.
struct Algorithms {
  std::optional<cudnnConvolutionFwdAlgo_t> forward;
  std::optional<cudnnConvolutionBwdDataAlgo_t> backward_data;
  std::optional<cudnnConvolutionBwdFilterAlgo_t> backward_filter;
};
using ProblemKey = std::tuple<int, std::vector<std::int64_t>, std::vector<std::int64_t>, std::vector<std::int64_t>,
                              std::vector<std::int64_t>, std::vector<std::int64_t>, std::int64_t, int>;

ProblemKey problem_key(const ConvParams& p, const Shape& data, const Shape& weight, DType dtype) {
  int device = 0;
  cudaGetDevice(&device);
  return {device, {data.begin(), data.end()}, {weight.begin(), weight.end()}, p.shape.stride, p.shape.pad,
          p.shape.dilate, p.num_group, static_cast<int>(dtype)};
}

std::mutex g_mutex;
std::map<ProblemKey, Algorithms>& cache() {
  static auto* algorithms = new std::map<ProblemKey, Algorithms>;  // never destroyed: used until exit
  return *algorithms;
}

// The first algorithm cuDNN's search ranks that ran successfully. `find(capacity, &count, results)` is one of the
// cudnnFind* calls with its descriptors bound.
template <class Perf, int kCapacity, class Find>
auto find_algorithm(const char* what, const char* call, Find&& find) {
  Perf results[kCapacity];
  int count = 0;
  check(find(kCapacity, &count, results), call);
  for (int i = 0; i < count; ++i) {
    if (results[i].status == CUDNN_STATUS_SUCCESS) return results[i].algo;
  }
  throw Error(std::string(what) + ": cuDNN found no algorithm for this convolution");
}

// The algorithm of one kind (`slot`) kept for this problem, or the one `search` finds, then kept. Both compute
// streams may ask at once: the cache is read and written under the lock only, the search (which runs kernels)
// outside it; two first searches at once both search, and the later result is kept.
template <class Algo, class Search>
Algo cached_algorithm(const ProblemKey& key, std::optional<Algo> Algorithms::*slot, Search&& search) {
  {
    std::lock_guard lock(g_mutex);
    if (const std::optional<Algo>& known = cache()[key].*slot) return *known;
  }
  const Algo found = search();
  std::lock_guard lock(g_mutex);
  cache()[key].*slot = found;
  return found;
}

// Device scratch in the stream's order.
class Workspace {
 public:
  Workspace(std::size_t bytes, cudaStream_t stream) : stream_(stream), bytes_(bytes) {
    if (bytes_ > 0) check(cudaMallocAsync(&data_, bytes_, stream_), "cudaMallocAsync (cuDNN workspace)");
  }
  ~Workspace() {
    if (data_ != nullptr) cudaFreeAsync(data_, stream_);
  }
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  void* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  cudaStream_t stream_;
  std::size_t bytes_;
  void* data_ = nullptr;
};

Shape output_shape(const ConvParams& p, const Shape& data) {
  Shape out{data[0], p.num_filter};
  for (std::size_t a = 0; a < p.shape.kernel.size(); ++a) {
    const std::int64_t in = data[static_cast<int>(a) + 2];
    const std::int64_t span = at(p.shape.dilate, a, 1) * (p.shape.kernel[a] - 1) + 1;
    out.push_back((in + 2 * at(p.shape.pad, a, 0) - span) / at(p.shape.stride, a, 1) + 1);
  }
  return out;
}

void infer_forward(const ConvParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  if (in[0].dtype != in[1].dtype) throw DTypeError("Convolution: data and weight have different dtypes");
  out[0] = {output_shape(p, in[0].shape), in[0].dtype};
}

void forward_gpu(const ConvParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const Descriptors d(p, in[0].shape, in[1].shape, out[0].shape, in[0].dtype);
  cudnnHandle_t handle = handle_for(ctx.run.stream);
  const auto algo = cached_algorithm(problem_key(p, in[0].shape, in[1].shape, in[0].dtype), &Algorithms::forward, [&] {
    return find_algorithm<cudnnConvolutionFwdAlgoPerf_t, CUDNN_CONVOLUTION_FWD_ALGO_COUNT>(
        "Convolution", "cudnnFindConvolutionForwardAlgorithm", [&](int capacity, int* count, auto* results) {
          return cudnnFindConvolutionForwardAlgorithm(handle, d.x, d.w, d.conv, d.y, capacity, count, results);
        });
  });
  std::size_t bytes = 0;
  check(cudnnGetConvolutionForwardWorkspaceSize(handle, d.x, d.w, d.conv, d.y, algo, &bytes),
        "cudnnGetConvolutionForwardWorkspaceSize");
  const Workspace workspace(bytes, static_cast<cudaStream_t>(ctx.run.stream));
  const Scalars s(in[0].dtype);
  check(cudnnConvolutionForward(handle, s.one(), d.x, in[0].data, d.w, in[1].data, d.conv, algo,
                                workspace.data(), workspace.bytes(), s.zero(), d.y, out[0].data),
        "cudnnConvolutionForward");
}

// Inputs (data, weight, dy); outputs dx and/or dw.
void infer_backward(const BackwardParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  if (in[2].shape != output_shape(p.conv, in[0].shape) || in[2].dtype != in[0].dtype) {
    throw ShapeError("Convolution backward: the output gradient " + in[2].shape.str() + " does not fit data " +
                     in[0].shape.str());
  }
  std::size_t i = 0;
  if (p.need_data) out[i++] = in[0];
  if (p.need_weight) out[i++] = in[1];
}

void backward_gpu(const BackwardParams& p, std::span<const Blob> in, std::span<const Blob> out,
                  const op::ComputeContext& ctx) {
  const Descriptors d(p.conv, in[0].shape, in[1].shape, in[2].shape, in[0].dtype);
  cudnnHandle_t handle = handle_for(ctx.run.stream);
  const auto stream = static_cast<cudaStream_t>(ctx.run.stream);
  const ProblemKey key = problem_key(p.conv, in[0].shape, in[1].shape, in[0].dtype);
  const Scalars s(in[0].dtype);
  std::size_t next = 0;
  if (p.need_data) {
    const auto algo = cached_algorithm(key, &Algorithms::backward_data, [&] {
      return find_algorithm<cudnnConvolutionBwdDataAlgoPerf_t, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT>(
          "Convolution backward (data)", "cudnnFindConvolutionBackwardDataAlgorithm",
          [&](int capacity, int* count, auto* results) {
            return cudnnFindConvolutionBackwardDataAlgorithm(handle, d.w, d.y, d.conv, d.x, capacity, count, results);
          });
    });
    std::size_t bytes = 0;
    check(cudnnGetConvolutionBackwardDataWorkspaceSize(handle, d.w, d.y, d.conv, d.x, algo, &bytes),
          "cudnnGetConvolutionBackwardDataWorkspaceSize");
    const Workspace workspace(bytes, stream);
    check(cudnnConvolutionBackwardData(handle, s.one(), d.w, in[1].data, d.y, in[2].data, d.conv,
                                       algo, workspace.data(), workspace.bytes(), s.zero(), d.x,
                                       out[next++].data),
          "cudnnConvolutionBackwardData");
  }
  if (p.need_weight) {
    const auto algo = cached_algorithm(key, &Algorithms::backward_filter, [&] {
      return find_algorithm<cudnnConvolutionBwdFilterAlgoPerf_t, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT>(
          "Convolution backward (weight)", "cudnnFindConvolutionBackwardFilterAlgorithm",
          [&](int capacity, int* count, auto* results) {
            return cudnnFindConvolutionBackwardFilterAlgorithm(handle, d.x, d.y, d.conv, d.w, capacity, count,
                                                               results);
          });
    });
    std::size_t bytes = 0;
    check(cudnnGetConvolutionBackwardFilterWorkspaceSize(handle, d.x, d.y, d.conv, d.w, algo,
                                                         &bytes),
          "cudnnGetConvolutionBackwardFilterWorkspaceSize");
    const Workspace workspace(bytes, stream);
    check(cudnnConvolutionBackwardFilter(handle, s.one(), d.x, in[0].data, d.y, in[2].data, d.conv,
                                         algo, workspace.data(), workspace.bytes(), s.zero(),
                                         d.w, out[next].data),
          "cudnnConvolutionBackwardFilter");
  }
}

const op::Operator<BackwardParams> kBackward = op::define<BackwardParams>({
    .name = "_backward_cudnn_convolution",
    .num_inputs = 3,
    .infer = &infer_backward,
    .gpu = &backward_gpu,
    .count_outputs = [](const BackwardParams& p, int) { return int{p.need_data} + int{p.need_weight}; },
    .gradient = [](const BackwardParams&, const op::GradientArgs&) -> std::vector<NDArray> {
      throw Error("Convolution on the GPU: second-order gradients through cuDNN's convolution are not supported");
    },
});

std::vector<NDArray> forward_gradient(const ConvParams& p, const op::GradientArgs& args) {
  const BackwardParams back{p, args.needs_input_grad[0], args.needs_input_grad[1]};
  if (!back.need_data && !back.need_weight) return {NDArray(), NDArray()};
  std::vector<NDArray> grads(static_cast<std::size_t>(int{back.need_data} + int{back.need_weight}));
  const std::vector<NDArray> inputs = {args.inputs[0], args.inputs[1], args.output_grads[0]};
  op::invoke(kBackward, std::span<const NDArray>(inputs), back, std::span<NDArray>(grads));
  std::size_t next = 0;
  NDArray dx = back.need_data ? grads[next++] : NDArray();
  NDArray dw = back.need_weight ? grads[next] : NDArray();
  return {dx, dw};
}

const op::Operator<ConvParams> kForward = op::define<ConvParams>({
    .name = "_cudnn_convolution",
    .num_inputs = 2,
    .infer = &infer_forward,
    .gpu = &forward_gpu,
    .gradient = &forward_gradient,
});

}  // namespace

bool supports(const NDArray& data) {
  const DType t = data.dtype();
  return data.context().is_gpu() && data.ndim() >= 3 && data.ndim() <= 5 &&
         (t == DType::kFloat32 || t == DType::kFloat64 || t == DType::kFloat16 || t == DType::kBFloat16);
}

NDArray convolution(const NDArray& data, const NDArray& weight, const ConvShape& shape, std::int64_t num_filter,
                    std::int64_t num_group) {
  return op::invoke1(kForward, {data, weight}, ConvParams{shape, num_filter, num_group});
}

}  // namespace mx::nd::cudnn
