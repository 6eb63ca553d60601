// cumsum and cumprod, each with a `reverse` direction (the running sum from the end), which cumsum's gradient is.
#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/scan.h>

namespace mx::nd {
namespace {

struct ScanParams {
  int axis = 0;
  bool reverse = false;
};

template <const char* kName>
void infer_scan(const ScanParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  normalize_axis(p.axis, in[0].shape.ndim(), kName);
  out[0] = in[0];
}

template <bool kProduct>
void scan_cpu(const ScanParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const int axis = normalize_axis(p.axis, s.ndim(), "scan");
  std::int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= s[a];
  for (int a = axis + 1; a < s.ndim(); ++a) inner *= s[a];
  const std::int64_t count = s[axis];
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = op::compute_t<T>;
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(outer * inner, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t j = begin; j < end; ++j) {
        const std::int64_t base = (j / inner) * count * inner + j % inner;
        C running = kProduct ? C{1} : C{0};
        for (std::int64_t k = 0; k < count; ++k) {
          const std::int64_t at = base + (p.reverse ? count - 1 - k : k) * inner;
          // Wrapping: integer overflow wraps around, as NumPy's, instead of being undefined.
          running = kProduct ? op::functors::Wrapping<op::functors::Mul>{}(running, static_cast<C>(x[at]))
                             : op::functors::Wrapping<op::functors::Add>{}(running, static_cast<C>(x[at]));
          y[at] = convert_value<T>(running);
        }
      }
    }, std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(count, 1)));
  });
}

#if MXPP_USE_CUDA
template <bool kProduct>
void scan_gpu(const ScanParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  const Shape& s = in[0].shape;
  const int axis = normalize_axis(p.axis, s.ndim(), "scan");
  std::int64_t outer = 1, inner = 1;
  for (int a = 0; a < axis; ++a) outer *= s[a];
  for (int a = axis + 1; a < s.ndim(); ++a) inner *= s[a];
  op::gpu::scan(kProduct, p.reverse, static_cast<int>(in[0].dtype), in[0].data, out[0].data, outer, s[axis], inner,
                ctx.run.stream);
}
#endif

const op::Operator<ScanParams>& cumsum_operator();

// The gradient of a running sum is the running sum of the gradient the other way.
std::vector<NDArray> cumsum_gradient(const ScanParams& p, const op::GradientArgs& args) {
  return {op::invoke1(cumsum_operator(), {args.output_grads[0]}, ScanParams{p.axis, !p.reverse})};
}
// d y_j / d x_i = y_j / x_i for j at or after i: the reverse running sum of g y, over x (as PyTorch's when no
// input is 0).
std::vector<NDArray> cumprod_gradient(const ScanParams& p, const op::GradientArgs& args) {
  const NDArray weighted = args.output_grads[0] * args.outputs[0];
  return {op::invoke1(cumsum_operator(), {weighted}, ScanParams{p.axis, !p.reverse}) / args.inputs[0]};
}

constexpr char kCumsumName[] = "cumsum", kCumprodName[] = "cumprod";
const op::Operator<ScanParams> kCumsum = op::define<ScanParams>(
    {.name = kCumsumName, .infer = &infer_scan<kCumsumName>, .cpu = &scan_cpu<false>, .gpu = MX_GPU(&scan_gpu<false>), .gradient = &cumsum_gradient});
const op::Operator<ScanParams> kCumprod = op::define<ScanParams>(
    {.name = kCumprodName, .infer = &infer_scan<kCumprodName>, .cpu = &scan_cpu<true>, .gpu = MX_GPU(&scan_gpu<true>), .gradient = &cumprod_gradient});

const op::Operator<ScanParams>& cumsum_operator() { return kCumsum; }

}  // namespace

NDArray cumsum(const NDArray& x, int axis) { return op::invoke1(kCumsum, {x}, ScanParams{axis, false}); }
NDArray cumprod(const NDArray& x, int axis) { return op::invoke1(kCumprod, {x}, ScanParams{axis, false}); }

}  // namespace mx::nd
