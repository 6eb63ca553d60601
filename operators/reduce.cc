// sum, mean, max, min, prod, nansum, nanprod, norm, argmax and argmin; var and std built from them. Reduced axes that sit next to each other in memory merge, so most
// reductions are out[o, i] = reduce over r of in[o, r, i]; the rest take a general path.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/elemwise_functors.h>
#include <mx/operators/select.h>
#include <mx/operators/elemwise_kernels.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/reduce.h>
#include <mx/operators/reduce_identity.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct ReduceParams {
  std::vector<int> axis;  // empty: all
  bool keepdims = false;
  int ord = 2;            // norm only
};

struct ReducePlan {
  Shape out_shape;
  bool reduced[Shape::kMaxNdim] = {};
  std::int64_t outer = 1, count = 1, inner = 1;  // valid when `contiguous`
  bool contiguous = true;
};

ReducePlan plan_reduce(const char* name, const ReduceParams& p, const Shape& in) {
  ReducePlan plan;
  if (p.axis.empty()) {
    for (int a = 0; a < in.ndim(); ++a) plan.reduced[a] = true;
  }
  for (int axis : p.axis) {
    const int a = normalize_axis(axis, in.ndim(), name);
    if (plan.reduced[a]) throw ShapeError(std::string(name) + ": axis " + std::to_string(axis) + " is given twice");
    plan.reduced[a] = true;
  }
  int first = -1, last = -1;
  for (int a = 0; a < in.ndim(); ++a) {
    if (plan.reduced[a]) {
      if (first < 0) first = a;
      last = a;
      plan.count *= in[a];
      if (p.keepdims) plan.out_shape.push_back(1);
    } else {
      plan.out_shape.push_back(in[a]);
    }
  }
  for (int a = std::max(first, 0); a <= last; ++a) plan.contiguous = plan.contiguous && plan.reduced[a];
  for (int a = 0; a < in.ndim(); ++a) {
    if (first >= 0 && a < first) plan.outer *= in[a];
    if (first < 0 || a > last) plan.inner *= in[a];
  }
  if (first < 0) plan.outer = 1;
  return plan;
}

// ---- Reducers: an accumulator per output, fed the input values in compute type ----
template <class T>
using acc_t = std::conditional_t<std::is_floating_point_v<op::compute_t<T>>, double, std::int64_t>;

// Integer accumulators wrap around on overflow, as NumPy's do (in unsigned arithmetic, where that is defined);
// floating ones compute as written.
constexpr op::functors::Wrapping<op::functors::Add> plus;
constexpr op::functors::Wrapping<op::functors::Mul> times;
template <class A>
A magnitude(A v) {
  return v < 0 ? times(v, A{-1}) : v;
}

struct SumReducer {
  template <class T> static acc_t<T> init() { return 0; }
  template <class A, class C> static void add(A& acc, C x) { acc = plus(acc, static_cast<A>(x)); }
  template <class A> static void merge(A& acc, A other) { acc = plus(acc, other); }
  template <class T, class A> static T finish(A acc, std::int64_t) { return convert_value<T>(acc); }
};
struct MeanReducer : SumReducer {
  template <class T, class A> static T finish(A acc, std::int64_t n) { return convert_value<T>(op::mean_of(acc, n)); }
};

struct MaxReducer {
  template <class T> static acc_t<T> init() { return op::max_identity<acc_t<T>>(); }
  template <class A, class C> static void add(A& acc, C x) {
    const A v = static_cast<A>(x);
    acc = v > acc || v != v ? v : acc;  // a select, not a branch: random data mispredicts half of them
  }
  template <class A> static void merge(A& acc, A other) { add(acc, other); }
  template <class T, class A> static T finish(A acc, std::int64_t) { return convert_value<T>(acc); }
};
struct MinReducer {
  template <class T> static acc_t<T> init() { return op::min_identity<acc_t<T>>(); }
  template <class A, class C> static void add(A& acc, C x) {
    const A v = static_cast<A>(x);
    acc = v < acc || v != v ? v : acc;
  }
  template <class A> static void merge(A& acc, A other) { add(acc, other); }
  template <class T, class A> static T finish(A acc, std::int64_t) { return convert_value<T>(acc); }
};
struct ProdReducer {
  template <class T> static acc_t<T> init() { return 1; }
  template <class A, class C> static void add(A& acc, C x) { acc = times(acc, static_cast<A>(x)); }
  template <class A> static void merge(A& acc, A other) { acc = times(acc, other); }
  template <class T, class A> static T finish(A acc, std::int64_t) { return convert_value<T>(acc); }
};
// NaN counts as 0 in nansum and as 1 in nanprod, as NumPy's.
struct NansumReducer : SumReducer {
  template <class A, class C> static void add(A& acc, C x) { if (x == x) acc = plus(acc, static_cast<A>(x)); }
};
struct NanprodReducer : ProdReducer {
  template <class A, class C> static void add(A& acc, C x) { if (x == x) acc = times(acc, static_cast<A>(x)); }
};
struct L1Reducer : SumReducer {
  template <class A, class C> static void add(A& acc, C x) { acc = plus(acc, magnitude(static_cast<A>(x))); }
};
struct L2Reducer : SumReducer {
  template <class A, class C> static void add(A& acc, C x) { const A v = static_cast<A>(x); acc = plus(acc, times(v, v)); }
  template <class T, class A> static T finish(A acc, std::int64_t) {
    return convert_value<T>(std::sqrt(static_cast<double>(acc)));
  }
};

// One output's contiguous run, over kLanes interleaved accumulators merged at the end: a single accumulator
// is one long dependency chain (a double add's latency per element), interleaved ones run side by side.
template <class R, class T>
acc_t<T> reduce_run(const T* run, std::int64_t count) {
  using A = acc_t<T>;
  using C = op::compute_t<T>;
  constexpr int kLanes = 8;
  A lanes[kLanes];
  for (A& lane : lanes) lane = R::template init<T>();
  std::int64_t r = 0;
  for (; r + kLanes <= count; r += kLanes) {
    for (int k = 0; k < kLanes; ++k) R::add(lanes[k], static_cast<C>(run[r + k]));
  }
  for (; r < count; ++r) R::add(lanes[0], static_cast<C>(run[r]));
  for (int k = 1; k < kLanes; ++k) R::merge(lanes[0], lanes[k]);
  return lanes[0];
}

// The input's axes with neighbours of one kind (reduced or kept) merged and length-1 axes dropped: a bias
// gradient's sum over (N, H, W) of (N, C, H, W) becomes (N) reduced, (C) kept, (H * W) reduced.
struct MergedAxes {
  std::int64_t size[Shape::kMaxNdim], stride[Shape::kMaxNdim];
  bool reduced[Shape::kMaxNdim];
  int n = 0;
};

MergedAxes merge_axes(const Shape& s, const ReducePlan& plan) {
  MergedAxes m;
  std::int64_t stride = 1;
  for (int a = s.ndim() - 1; a >= 0; --a) {  // innermost first, reversed below
    if (s[a] != 1) {
      if (m.n > 0 && m.reduced[m.n - 1] == plan.reduced[a]) {
        m.size[m.n - 1] *= s[a];
      } else {
        m.size[m.n] = s[a];
        m.stride[m.n] = stride;
        m.reduced[m.n] = plan.reduced[a];
        ++m.n;
      }
    }
    stride *= s[a];
  }
  std::reverse(m.size, m.size + m.n);
  std::reverse(m.stride, m.stride + m.n);
  std::reverse(m.reduced, m.reduced + m.n);
  if (m.n == 0) m = {{1}, {1}, {true}, 1};  // one element
  return m;
}

// Reduced axes that are not all neighbours. Each output (or, when the innermost axis is kept, each row of
// outputs) walks its reduced positions in memory order: contiguous runs of the innermost axis, no per-element
// index arithmetic, and outputs split across workers.
template <class R, class T>
void reduce_strided(const T* x, T* y, const Shape& shape, const ReducePlan& plan) {
  using A = acc_t<T>;
  using C = op::compute_t<T>;
  const MergedAxes m = merge_axes(shape, plan);
  const bool inner_reduced = m.reduced[m.n - 1];
  const std::int64_t run = m.size[m.n - 1];  // reduced into each output, or outputs side by side
  std::int64_t kept_size[Shape::kMaxNdim], kept_stride[Shape::kMaxNdim], red_size[Shape::kMaxNdim],
      red_stride[Shape::kMaxNdim];
  int kept = 0, red = 0;
  std::int64_t groups = 1, positions = 1;  // outputs (or rows of them), and reduced runs per group
  for (int a = 0; a + 1 < m.n; ++a) {
    if (m.reduced[a]) {
      red_size[red] = m.size[a];
      red_stride[red++] = m.stride[a];
      positions *= m.size[a];
    } else {
      kept_size[kept] = m.size[a];
      kept_stride[kept++] = m.stride[a];
      groups *= m.size[a];
    }
  }
  const std::int64_t per_group = positions * run;
  op::parallel_for(
      groups,
      [&](std::int64_t begin, std::int64_t end) {
        std::vector<A> acc(inner_reduced ? 0 : static_cast<std::size_t>(run));
        for (std::int64_t g = begin; g < end; ++g) {
          std::int64_t base = 0;
          for (std::int64_t rest = g, a = kept - 1; a >= 0; --a) {
            base += rest % kept_size[a] * kept_stride[a];
            rest /= kept_size[a];
          }
          A total = R::template init<T>();
          if (!inner_reduced) acc.assign(acc.size(), R::template init<T>());
          std::int64_t index[Shape::kMaxNdim] = {}, offset = base;
          for (std::int64_t p = 0; p < positions; ++p) {
            const T* start = x + offset;
            if (inner_reduced) {
              R::merge(total, reduce_run<R, T>(start, run));
            } else {
              for (std::int64_t i = 0; i < run; ++i) R::add(acc[static_cast<std::size_t>(i)], static_cast<C>(start[i]));
            }
            for (int a = red - 1; a >= 0; --a) {  // the next reduced position, odometer style
              offset += red_stride[a];
              if (++index[a] < red_size[a]) break;
              offset -= red_stride[a] * red_size[a];
              index[a] = 0;
            }
          }
          if (inner_reduced) {
            y[g] = R::template finish<T>(total, plan.count);
          } else {
            for (std::int64_t i = 0; i < run; ++i) y[g * run + i] = R::template finish<T>(acc[static_cast<std::size_t>(i)], plan.count);
          }
        }
      },
      std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(per_group, 1)));
}

template <class R, class T>
void reduce_typed(const Blob& in, const Blob& out, const ReducePlan& plan) {
  using A = acc_t<T>;
  using C = op::compute_t<T>;
  const T* x = in.ptr<T>();
  T* y = out.ptr<T>();
  if (!plan.contiguous) {
    reduce_strided<R, T>(x, y, in.shape, plan);
    return;
  }
  const std::int64_t outer = plan.outer, count = plan.count, inner = plan.inner;
  // Everything into one value, from a large input: one piece of it per worker, the partial results merged in
  // order (the same sum from run to run).
  if (const int pieces = outer * inner == 1 ? op::split_pieces(count) : 1; pieces > 1) {
    std::vector<A> partial(static_cast<std::size_t>(pieces));
    op::for_each_piece(pieces, [&](int piece) {
      const std::int64_t begin = count * piece / pieces, end = count * (piece + 1) / pieces;
      partial[static_cast<std::size_t>(piece)] = reduce_run<R, T>(x + begin, end - begin);
    });
    A total = partial[0];
    for (int piece = 1; piece < pieces; ++piece) R::merge(total, partial[static_cast<std::size_t>(piece)]);
    y[0] = R::template finish<T>(total, count);
    return;
  }
  const std::int64_t grain = std::max<std::int64_t>(1, op::kParallelGrain / std::max<std::int64_t>(count, 1));
  op::parallel_for(
      outer * inner,
      [&](std::int64_t begin, std::int64_t end) {
        if (inner == 1) {  // each output a contiguous run
          for (std::int64_t j = begin; j < end; ++j) y[j] = R::template finish<T>(reduce_run<R, T>(x + j * count, count), count);
          return;
        }
        // Outputs side by side: walk the reduced rows in order, adding each row's run to a run of accumulators,
        // so reads are contiguous and the inner loop vectorizes (a column sum such as a bias gradient).
        std::vector<A> acc;
        for (std::int64_t j = begin; j < end;) {
          const std::int64_t o = j / inner, i0 = j % inner, width = std::min(end - j, inner - i0);
          acc.assign(static_cast<std::size_t>(width), R::template init<T>());
          const T* block = x + o * count * inner + i0;
          for (std::int64_t r = 0; r < count; ++r) {
            const T* row = block + r * inner;
            for (std::int64_t i = 0; i < width; ++i) R::add(acc[static_cast<std::size_t>(i)], static_cast<C>(row[i]));
          }
          for (std::int64_t i = 0; i < width; ++i) y[j + i] = R::template finish<T>(acc[static_cast<std::size_t>(i)], count);
          j += width;
        }
      },
      grain);
}

template <class R>
void reduce_cpu(const ReduceParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const ReducePlan plan = plan_reduce("reduce", p, in[0].shape);
  dispatch_dtype(in[0].dtype, [&](auto tag) { reduce_typed<R, decltype(tag)>(in[0], out[0], plan); });
}

#if MXPP_USE_CUDA
// The input's axes split into kept and reduced, with their strides; neighbouring axes of one kind merge.
op::gpu::ReduceLayout gpu_layout(const ReduceParams& p, const Shape& in) {
  const ReducePlan plan = plan_reduce("reduce", p, in);
  op::gpu::ReduceLayout l;
  std::int64_t stride = 1;
  bool last_reduced = false, any = false;
  for (int a = in.ndim() - 1; a >= 0; --a, stride *= in[a + 1]) {
    if (in[a] == 1) continue;  // no effect either way
    const bool reduced = plan.reduced[a];
    auto& ndim = reduced ? l.reduced_ndim : l.kept_ndim;
    auto* extent = reduced ? l.reduced_extent : l.kept_extent;
    auto* strides = reduced ? l.reduced_stride : l.kept_stride;
    if (any && reduced == last_reduced && strides[0] * extent[0] == stride) {
      extent[0] *= in[a];  // continues the axis just outside it
    } else {
      for (int d = ndim; d > 0; --d) extent[d] = extent[d - 1], strides[d] = strides[d - 1];
      extent[0] = in[a];
      strides[0] = stride;
      ++ndim;
    }
    any = true;
    last_reduced = reduced;
  }
  l.outputs = plan.out_shape.size();
  l.count = plan.count;
  return l;
}

template <op::gpu::Reduce kKind>
void reduce_gpu(const ReduceParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  op::gpu::reduce(kKind, static_cast<int>(in[0].dtype), in[0].data, out[0].data, gpu_layout(p, in[0].shape),
                  ctx.run.stream);
}
#endif

template <const char* kName, bool kNeedsElements>
void infer_reduce(const ReduceParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const ReducePlan plan = plan_reduce(kName, p, in[0].shape);
  if (kNeedsElements && plan.count == 0) {
    throw ShapeError(std::string(kName) + ": reducing shape " + in[0].shape.str() +
                     " over an empty axis has no identity");
  }
  out[0] = {plan.out_shape, in[0].dtype};
}

constexpr char kSumName[] = "sum", kMeanName[] = "mean", kMaxName[] = "max", kMinName[] = "min",
               kNormName[] = "norm", kProdName[] = "prod", kNansumName[] = "nansum", kNanprodName[] = "nanprod";

// ---- gradients: the output's gradient stretched back over the reduced axes ----
// The output (or its gradient) with the reduced axes kept, stretched to the input's shape.
NDArray stretch(const char* name, const ReduceParams& p, const NDArray& reduced, const Shape& in_shape) {
  const ReducePlan kept = plan_reduce(name, {p.axis, true, p.ord}, in_shape);
  return broadcast_to(reduced.reshape(kept.out_shape), in_shape);
}

template <const char* kName>
std::vector<NDArray> sum_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  return {stretch(kName, p, args.output_grads[0], args.inputs[0].shape())};
}

std::vector<NDArray> mean_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  const double count = static_cast<double>(x.size()) / static_cast<double>(std::max<std::int64_t>(args.outputs[0].size(), 1));
  return {stretch("mean", p, args.output_grads[0], x.shape()) / count};
}

// Every element equal to the extreme gets the whole gradient, as MXNet's max and min.
template <const char* kName>
std::vector<NDArray> extreme_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  const NDArray mask = x == stretch(kName, p, args.outputs[0], x.shape());
  return {stretch(kName, p, args.output_grads[0], x.shape()) * mask};
}

// d prod / dx_i = prod / x_i (as MXNet's; an input of 0 gives a NaN there). NaN inputs get 0 in the NaN forms.
std::vector<NDArray> prod_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  return {stretch("prod", p, args.output_grads[0] * args.outputs[0], x.shape()) / x};
}
std::vector<NDArray> nansum_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  return {stretch("nansum", p, args.output_grads[0], x.shape()) * (x == x)};
}
std::vector<NDArray> nanprod_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  const NDArray finite = x == x;
  const NDArray no_nan = where(finite, x, ones_like(x));
  return {stretch("nanprod", p, args.output_grads[0] * args.outputs[0], x.shape()) / no_nan * finite};
}

std::vector<NDArray> norm_gradient(const ReduceParams& p, const op::GradientArgs& args) {
  const NDArray& x = args.inputs[0];
  const NDArray g = stretch("norm", p, args.output_grads[0], x.shape());
  if (p.ord == 1) return {g * sign(x)};
  // x / norm, except where the norm is 0: there every x is 0 and so is the gradient (PyTorch's subgradient; 0 / 0
  // would make it NaN, and a NaN gradient poisons every parameter it reaches). Dividing by 1 there keeps it exact
  // elsewhere and differentiable again (create_graph).
  const NDArray n = stretch("norm", p, args.outputs[0], x.shape());
  return {g * x / (n + (n == 0.0))};
}


// The symbol form: no axis attribute means every axis, as in MXNet.
void reduce_to_attrs(const ReduceParams& p, int, op::Attrs& attrs) {
  if (!p.axis.empty()) attrs["axis"] = op::attr_string(p.axis);
  attrs["keepdims"] = op::attr_string(p.keepdims);
}
ReduceParams reduce_from_attrs(op::AttrReader& attrs, int) {
  ReduceParams p;
  attrs.read("axis", p.axis);
  attrs.read("keepdims", p.keepdims);
  attrs.ignore("exclude", {"False", "0"});
  return p;
}
void norm_to_attrs(const ReduceParams& p, int n, op::Attrs& attrs) {
  reduce_to_attrs(p, n, attrs);
  attrs["ord"] = op::attr_string(p.ord);
}
ReduceParams norm_from_attrs(op::AttrReader& attrs, int n) {
  ReduceParams p = reduce_from_attrs(attrs, n);
  attrs.read("ord", p.ord);
  attrs.ignore("out_dtype", {"None"});
  return p;
}

const op::Operator<ReduceParams> kSum = op::define<ReduceParams>(
    {.name = kSumName, .infer = &infer_reduce<kSumName, false>, .cpu = &reduce_cpu<SumReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kSum>),
     .gradient = &sum_gradient<kSumName>, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kMean = op::define<ReduceParams>(
    {.name = kMeanName, .infer = &infer_reduce<kMeanName, false>, .cpu = &reduce_cpu<MeanReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kMean>),
     .gradient = &mean_gradient, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kMax = op::define<ReduceParams>(
    {.name = kMaxName, .infer = &infer_reduce<kMaxName, true>, .cpu = &reduce_cpu<MaxReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kMax>),
     .gradient = &extreme_gradient<kMaxName>, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kMin = op::define<ReduceParams>(
    {.name = kMinName, .infer = &infer_reduce<kMinName, true>, .cpu = &reduce_cpu<MinReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kMin>),
     .gradient = &extreme_gradient<kMinName>, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kProd = op::define<ReduceParams>(
    {.name = kProdName,
     .infer = &infer_reduce<kProdName, false>,
     .cpu = &reduce_cpu<ProdReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kProd>),
     .gradient = &prod_gradient, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kNansum = op::define<ReduceParams>(
    {.name = kNansumName,
     .infer = &infer_reduce<kNansumName, false>,
     .cpu = &reduce_cpu<NansumReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kNansum>),
     .gradient = &nansum_gradient, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kNanprod = op::define<ReduceParams>(
    {.name = kNanprodName,
     .infer = &infer_reduce<kNanprodName, false>,
     .cpu = &reduce_cpu<NanprodReducer>, .gpu = MX_GPU(&reduce_gpu<op::gpu::Reduce::kNanprod>),
     .gradient = &nanprod_gradient, .to_attrs = &reduce_to_attrs, .from_attrs = &reduce_from_attrs});
const op::Operator<ReduceParams> kNorm = op::define<ReduceParams>(
    {.name = kNormName,
     .infer = [](const ReduceParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
       if (p.ord != 1 && p.ord != 2) throw Error("norm: ord must be 1 or 2, got " + std::to_string(p.ord));
       infer_reduce<kNormName, false>(p, in, out);
     },
     .cpu = [](const ReduceParams& p, std::span<const Blob> in, std::span<const Blob> out,
               const ComputeContext& ctx) {
       p.ord == 1 ? reduce_cpu<L1Reducer>(p, in, out, ctx) : reduce_cpu<L2Reducer>(p, in, out, ctx);
     },
#if MXPP_USE_CUDA
     .gpu = [](const ReduceParams& p, std::span<const Blob> in, std::span<const Blob> out,
               const ComputeContext& ctx) {
       p.ord == 1 ? reduce_gpu<op::gpu::Reduce::kL1>(p, in, out, ctx) : reduce_gpu<op::gpu::Reduce::kL2>(p, in, out, ctx);
     },
#endif
     .gradient = &norm_gradient,
     .to_attrs = &norm_to_attrs,
     .from_attrs = &norm_from_attrs});

// ---- argmax ----
struct ArgmaxParams {
  int axis = 0;
  bool keepdims = false;
};

template <const char* kName>
void infer_argmax(const ArgmaxParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const ReducePlan plan = plan_reduce(kName, {{p.axis}, p.keepdims}, in[0].shape);
  if (plan.count == 0) {
    throw ShapeError(std::string(kName) + ": axis " + std::to_string(p.axis) + " of " + in[0].shape.str() + " is empty");
  }
  out[0] = {plan.out_shape, DType::kFloat32};
}

// The first index of the largest value (kLargest) or the smallest; a NaN wins, as NumPy's.
template <bool kLargest>
void argmax_cpu(const ArgmaxParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  const ReducePlan plan = plan_reduce("argmax", {{p.axis}, p.keepdims}, in[0].shape);
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    using C = op::compute_t<T>;
    const T* x = in[0].ptr<T>();
    float* y = out[0].ptr<float>();
    const std::int64_t count = plan.count, inner = plan.inner;
    op::parallel_for(plan.outer * inner, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t j = begin; j < end; ++j) {
        const T* row = x + (j / inner) * count * inner + j % inner;
        std::int64_t best = 0;
        C best_value = static_cast<C>(row[0]);
        for (std::int64_t r = 1; r < count; ++r) {
          const C v = static_cast<C>(row[r * inner]);
          const bool better = kLargest ? v > best_value : v < best_value;
          if (better || (v != v && best_value == best_value)) { best = r; best_value = v; }
        }
        y[j] = static_cast<float>(best);
      }
    });
  });
}

#if MXPP_USE_CUDA
template <bool kLargest>
void argmax_gpu(const ArgmaxParams& p, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  const ReducePlan plan = plan_reduce("argmax", {{p.axis}, p.keepdims}, in[0].shape);
  op::gpu::argmax(kLargest, static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(out[0].dtype), out[0].data,
                  plan.outer, plan.count, plan.inner, ctx.run.stream);
}
#endif

constexpr char kArgmaxName[] = "argmax", kArgminName[] = "argmin";
const op::Operator<ArgmaxParams> kArgmax = op::define<ArgmaxParams>({.name = kArgmaxName,
                                                                     .infer = &infer_argmax<kArgmaxName>,
                                                                     .cpu = &argmax_cpu<true>,
                                                                     .gpu = MX_GPU(&argmax_gpu<true>)});
const op::Operator<ArgmaxParams> kArgmin = op::define<ArgmaxParams>({.name = kArgminName,
                                                                     .infer = &infer_argmax<kArgminName>,
                                                                     .cpu = &argmax_cpu<false>,
                                                                     .gpu = MX_GPU(&argmax_gpu<false>)});

}  // namespace

NDArray sum(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kSum, {x}, ReduceParams{std::move(axis), keepdims});
}

NDArray& sum(const NDArray& x, std::vector<int> axis, bool keepdims, NDArray& out) {
  return op::invoke_into(kSum, {x}, out, ReduceParams{std::move(axis), keepdims});
}
NDArray mean(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kMean, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray max(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kMax, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray min(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kMin, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray norm(const NDArray& x, double ord, std::vector<int> axis, bool keepdims) {
  if (ord == 1 || ord == 2) return op::invoke1(kNorm, {x}, ReduceParams{std::move(axis), keepdims, static_cast<int>(ord)});
  if (std::isnan(ord)) throw Error("norm: ord must be a number or +-infinity, got NaN");
  // The other orders are rarer: built from other operators, which also gives their gradients.
  if (std::isinf(ord)) return ord > 0 ? max(abs(x), std::move(axis), keepdims) : min(abs(x), std::move(axis), keepdims);
  if (ord == 0) return sum(x != 0.0, std::move(axis), keepdims);
  return power(sum(power(abs(x), ord), std::move(axis), keepdims), 1 / ord);
}
NDArray dist(const NDArray& x, const NDArray& y, double p) { return norm(x - y, p); }
NDArray prod(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kProd, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray nansum(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kNansum, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray nanprod(const NDArray& x, std::vector<int> axis, bool keepdims) {
  return op::invoke1(kNanprod, {x}, ReduceParams{std::move(axis), keepdims});
}
NDArray argmax(const NDArray& x, int axis, bool keepdims) {
  return op::invoke1(kArgmax, {x}, ArgmaxParams{axis, keepdims});
}
NDArray argmin(const NDArray& x, int axis, bool keepdims) {
  return op::invoke1(kArgmin, {x}, ArgmaxParams{axis, keepdims});
}

// Composites of recorded operators, so their gradients come from autograd.
NDArray var(const NDArray& x, std::vector<int> axis, bool keepdims, int ddof) {
  const NDArray centred = x - mean(x, axis, true);
  const NDArray squares = mean(square(centred), axis, keepdims);
  const std::int64_t n = x.size() / std::max<std::int64_t>(squares.size(), 1);
  if (ddof == 0) return squares;
  return squares * (static_cast<double>(n) / static_cast<double>(n - ddof));
}
NDArray std(const NDArray& x, std::vector<int> axis, bool keepdims, int ddof) {
  return sqrt(var(x, std::move(axis), keepdims, ddof));
}

NDArray sum_to_shape(const NDArray& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int lead = x.ndim() - shape.ndim();
  if (lead < 0) throw ShapeError("sum_to_shape: " + x.shape().str() + " has fewer axes than " + shape.str());
  std::vector<int> axes;
  for (int a = 0; a < x.ndim(); ++a) {
    if (a < lead || (shape[a - lead] == 1 && x.shape()[a] != 1)) axes.push_back(a);
    else if (shape[a - lead] != x.shape()[a]) {
      throw ShapeError("sum_to_shape: " + x.shape().str() + " was not broadcast from " + shape.str());
    }
  }
  if (axes.empty()) return x.reshape(shape);
  return sum(x, axes, true).reshape(shape);
}

}  // namespace mx::nd
