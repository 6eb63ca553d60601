#pragma once
// The CUDA kernels' entry points, called by the operators' gpu compute functions. Plain types only: the .cu
// files beside their CPU twins compile as C++17 under nvcc, apart from the C++20 layers. Each call enqueues on
// `stream` and returns at once; a launch error throws mx::Error naming the kernel, and an error while running
// surfaces when the engine synchronizes the stream. `dtype` is MXNet's code (mx::DType). Private to operators/.
#include <cstdint>

#include <mx/operators/update_rules.h>

// An operator's `.gpu = MX_GPU(&name_gpu)`: the compute function where CUDA is built in (defined inside
// `#if MXPP_USE_CUDA`), nullptr elsewhere, which invoke turns into an error naming the operator.
#if MXPP_USE_CUDA
#define MX_GPU(fn) fn
#else
#define MX_GPU(fn) nullptr
#endif

namespace mx::op::gpu {

using Stream = void*;
inline constexpr int kMaxDims = 8;

// An operand of an elementwise kernel as the output's index space sees it: data with a stride per output axis
// (0 along broadcast axes), or, with data null, one scalar in the compute type.
struct Operand {
  const void* data = nullptr;
  std::int64_t stride[kMaxDims] = {};
  bool dense = true;  // strides are the output's own: element i is data[i]
  double scalar = 0;
};
struct OutLayout {
  int ndim = 0;
  std::int64_t extent[kMaxDims] = {};
  std::int64_t size = 0;
};

// y = F(x) over n elements (integers compute through double, as on the CPU); every dtype but int8 and bool.
template <class F>
void unary(int dtype, const void* x, void* y, std::int64_t n, Stream stream);
// y = Wrapping<F>(a, b) with broadcasting; every dtype but int8 and bool.
template <class F>
void binary(int dtype, const Operand& a, const Operand& b, void* y, const OutLayout& out, Stream stream);

// Element conversion between any two dtypes (Cast, _copy, copies between devices of different dtypes).
void cast(int in_dtype, const void* x, int out_dtype, void* y, std::int64_t n, Stream stream);
void fill(int dtype, void* y, double value, std::int64_t n, Stream stream);
void arange(int dtype, void* y, double start, double step, std::int64_t repeat, std::int64_t n, Stream stream);
// y = x stretched along the broadcast axes (broadcast_to).
void broadcast_to(int dtype, const Operand& x, void* y, const OutLayout& out, Stream stream);
// y[o, i] = x[o, clamp(k), i] with k from `index` (any dtype) at [o, i] (pick).
void pick(int dtype, const void* x, int index_dtype, const void* index, void* y, std::int64_t outer,
          std::int64_t extent, std::int64_t inner, Stream stream);
// y[i, k] = k == index[i] ? on : off (one_hot).
void one_hot(int index_dtype, const void* index, int dtype, void* y, std::int64_t n, std::int64_t depth, double on,
             double off, Stream stream);
// y = min(max(x, lo), hi).
void clip(int dtype, const void* x, void* y, std::int64_t n, double lo, double hi, Stream stream);
// y = cond != 0 ? a : b, all of one shape (where).
void where(int cond_dtype, const void* cond, int dtype, const void* a, const void* b, void* y, std::int64_t n,
           Stream stream);

// ---- reductions: output j (over the kept axes, in order) reduces its `count` elements over the reduced axes ----
enum class Reduce : int { kSum, kMean, kMax, kMin, kProd, kNansum, kNanprod, kL1, kL2 };
struct ReduceLayout {
  int kept_ndim = 0, reduced_ndim = 0;
  std::int64_t kept_extent[kMaxDims] = {}, kept_stride[kMaxDims] = {};
  std::int64_t reduced_extent[kMaxDims] = {}, reduced_stride[kMaxDims] = {};
  std::int64_t outputs = 1, count = 1;
};
void reduce(Reduce kind, int dtype, const void* x, void* y, const ReduceLayout& layout, Stream stream);
// The index of the largest (or smallest) value along the middle axis, written in `out_dtype`; the first on ties.
void argmax(bool largest, int dtype, const void* x, int out_dtype, void* y, std::int64_t outer, std::int64_t count,
            std::int64_t inner, Stream stream);

// ---- along one axis (outer, extent, inner) ----
void softmax(bool log, int dtype, const void* x, void* y, std::int64_t outer, std::int64_t extent,
             std::int64_t inner, Stream stream);
// Per row of (batch, classes): loss = logsumexp - x[label]; per_sample writes (batch,), else their sum in y[0].
// Waits for the stream to check the labels: one outside [0, classes) throws mx::Error naming its row.
void softmax_cross_entropy(int dtype, const void* x, int label_dtype, const void* label, void* y, bool per_sample,
                           std::int64_t batch, std::int64_t classes, Stream stream);
// dx = (softmax(x) - one_hot(label)) * g, g one value per row (g_count == batch) or one for all; g of x's dtype.
// Does not check the labels again (the forward did) and so does not wait.
void softmax_cross_entropy_backward(int dtype, const void* x, int label_dtype, const void* label, const void* g,
                                    std::int64_t g_count, void* dx, std::int64_t batch, std::int64_t classes,
                                    Stream stream);

// ---- copies along axes, whatever the dtype (by element size) ----
// dst[dst_offset + sum idx[d] * dst_stride[d]] = src[src_offset + sum idx[d] * src_stride[d]] for every index
// idx over `extent` (strides in elements, possibly 0 or negative): slices, concat and split, flips.
struct StridedCopy {
  int ndim = 0;
  std::int64_t extent[kMaxDims] = {}, src_stride[kMaxDims] = {}, dst_stride[kMaxDims] = {};
  std::int64_t src_offset = 0, dst_offset = 0;
};
void strided_copy(int dtype, const void* src, void* dst, const StridedCopy& copy, Stream stream);
// The copy of `count` rows of `inner` elements along the middle axis of (outer, *, inner) arrays: from rows
// [src_begin, src_begin + count) of a source whose axis has src_extent rows, to [dst_begin, ...) of the
// destination's dst_extent; src_step -1 reads the source's rows backwards from src_begin.
inline StridedCopy block_copy(std::int64_t outer, std::int64_t count, std::int64_t inner, std::int64_t src_extent,
                              std::int64_t src_begin, std::int64_t dst_extent, std::int64_t dst_begin,
                              std::int64_t src_step = 1) {
  StridedCopy c;
  c.ndim = 3;
  c.extent[0] = outer, c.extent[1] = count, c.extent[2] = inner;
  c.src_stride[0] = src_extent * inner, c.src_stride[1] = src_step * inner, c.src_stride[2] = 1;
  c.dst_stride[0] = dst_extent * inner, c.dst_stride[1] = inner, c.dst_stride[2] = 1;
  c.src_offset = src_begin * inner;
  c.dst_offset = dst_begin * inner;
  return c;
}
// y[o, j, i] = x[o, index[j], i] (index of any dtype, clipped or wrapped into [0, extent)); take.
void take(int dtype, const void* x, int index_dtype, const void* index, std::int64_t count, bool wrap, void* y,
          std::int64_t outer, std::int64_t extent, std::int64_t inner, Stream stream);
// dx = 0, then dx[o, index[j], i] += g[o, j, i] (floating dtypes); take's gradient.
void take_backward(int dtype, const void* g, int index_dtype, const void* index, std::int64_t count, bool wrap,
                   void* dx, std::int64_t outer, std::int64_t extent, std::int64_t inner, Stream stream);
// Running sums or products along the middle axis of (outer, count, inner), from the end when `reverse`.
void scan(bool product, bool reverse, int dtype, const void* x, void* y, std::int64_t outer, std::int64_t count,
          std::int64_t inner, Stream stream);
// y[o, c, i] = x[o, c, i] * scale[c] + shift[c] (BatchNorm with the moving statistics).
void scale_shift(int dtype, const void* x, const void* scale, const void* shift, void* y, std::int64_t outer,
                 std::int64_t channels, std::int64_t inner, Stream stream);

// ---- convolution's patches (up to 3 spatial axes), float32 and float64 ----
struct Patches {
  int axes = 0;
  std::int64_t batch = 0, channels = 0, image_size = 1, out_size = 1, kernel_size = 1;
  std::int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1};
  std::int64_t stride[3] = {1, 1, 1}, dilate[3] = {1, 1, 1}, pad[3] = {0, 0, 0};
};
// cols (channels * kernel_size, batch * out_size) from images (batch, channels, *in), `fill` in the padding.
void im2col(int dtype, const void* x, void* cols, const Patches& p, double fill, Stream stream);
// images = the sum of every column entry into the pixel it came from (each pixel gathers its entries).
void col2im(int dtype, const void* cols, void* x, const Patches& p, Stream stream);

// ---- layout ----
// y = x with its axes permuted: y's axis a is x's axis axes[a].
void transpose(int dtype, const void* x, void* y, int ndim, const std::int64_t* x_shape, const int* axes,
               Stream stream);

// ---- random: element i of a call with `key` draws from op::random::ElementRng(key, i), as the CPU does ----
void random_uniform(int dtype, void* y, std::int64_t n, double low, double high, std::uint64_t key, Stream stream);
void random_normal(int dtype, void* y, std::int64_t n, double mean, double stddev, std::uint64_t key, Stream stream);

// ---- optimizer updates (update_rules.h), in place, every rule; float32 and float64 ----
void optimizer_update(nd::UpdateRule rule, const nd::UpdateHyperParams& hyper, int dtype, void* weight,
                      const void* grad, void* state0, void* state1, void* state2, std::int64_t n, Stream stream);

// ---- gradient compression (gradient_compression.h; float32, codes as bytes) ----
// The n elements of grad added to residual and quantized into code_bytes bytes (those past the codes zeroed).
void quantize_gradient(bool two_bit, float threshold, const float* grad, float* residual, void* codes, std::int64_t n,
                       std::int64_t code_bytes, Stream stream);
// out (+)= the sum over `rows` rows of codes, row_bytes apart; accumulate adds to out instead of writing it.
void dequantize_sum(bool two_bit, float threshold, const void* codes, std::int64_t rows, std::int64_t row_bytes, float* out,
                    std::int64_t n, bool accumulate, Stream stream);

}  // namespace mx::op::gpu
