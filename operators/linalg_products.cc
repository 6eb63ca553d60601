// linalg gemm, gemm2, trsm, trmm and syrk on OpenBLAS; their gradients are products and solves of the same kinds.
#include <cblas.h>

#include <cstring>

#include <mx/operators/blas.h>
#if MXPP_USE_CUDA
#include <mx/operators/gpu_blas.h>
#endif
#include <mx/operators/elemwise.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/layout.h>
#include <mx/operators/linalg.h>
#include <mx/operators/linalg_common.h>

namespace mx::nd::linalg {
namespace {

using op::ArrayInfo;
using op::linalg::Batch;
using op::linalg::batch_of;
using op::linalg::check_same_batch;
using op::linalg::dispatch_real;
using op::linalg::for_each_matrix;
using op::linalg::transposed;
using op::linalg::with_matrix;

// ---- gemm and gemm2 ----
struct GemmParams {
  bool transpose_a = false, transpose_b = false;
  double alpha = 1, beta = 0;
};

// The product's plan and shape; `c` (gemm's third operand) must have that shape.
op::GemmArgs plan_product(const char* name, const GemmParams& p, std::span<const ArrayInfo> in, Shape* out) {
  const Batch a = batch_of(name, in[0], "A"), b = batch_of(name, in[1], "B");
  check_same_batch(name, in[0], in[1]);
  op::GemmArgs g{.trans_a = p.transpose_a, .trans_b = p.transpose_b, .alpha = p.alpha, .beta = p.beta};
  g.m = p.transpose_a ? a.cols : a.rows;
  g.k = p.transpose_a ? a.rows : a.cols;
  g.n = p.transpose_b ? b.rows : b.cols;
  const std::int64_t kb = p.transpose_b ? b.cols : b.rows;
  if (kb != g.k) {
    throw ShapeError(std::string(name) + ": cannot multiply " + in[0].shape.str() + (p.transpose_a ? " (transposed)" : "") +
                     " by " + in[1].shape.str() + (p.transpose_b ? " (transposed)" : "") + ": inner extents " +
                     std::to_string(g.k) + " and " + std::to_string(kb) + " differ");
  }
  const Shape result = with_matrix(in[0].shape, g.m, g.n);
  if (in.size() == 3) {
    batch_of(name, in[2], "C");
    if (in[2].dtype != in[0].dtype) throw DTypeError(std::string(name) + ": C's dtype differs from A's");
    if (in[2].shape != result) {
      throw ShapeError(std::string(name) + ": C must have the product's shape " + result.str() + ", got " +
                       in[2].shape.str());
    }
  }
  if (out) *out = result;
  return g;
}

template <const char* kName>
void infer_product(const GemmParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  plan_product(kName, p, in, &out[0].shape);
  out[0].dtype = in[0].dtype;
}

template <const char* kName>
void product_cpu(const GemmParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  std::vector<ArrayInfo> infos;
  for (const Blob& b : in) infos.push_back({b.shape, b.dtype});
  op::GemmArgs g = plan_product(kName, p, infos, nullptr);
  if (in.size() == 3) std::memcpy(out[0].data, in[2].data, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  else g.beta = 0;
  op::batched_gemm(g, in[0].dtype, out[0].size() / std::max<std::int64_t>(g.m * g.n, 1), in[0].data, g.m * g.k,
                   in[1].data, g.k * g.n, out[0].data, g.m * g.n);
}

#if MXPP_USE_CUDA
// The same batched product on cuBLAS; gemm's C is copied into the output first (a device-to-device cast).
template <const char* kName>
void product_gpu(const GemmParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext& ctx) {
  std::vector<ArrayInfo> infos;
  for (const Blob& b : in) infos.push_back({b.shape, b.dtype});
  op::GemmArgs g = plan_product(kName, p, infos, nullptr);
  if (in.size() == 3) {
    op::gpu::cast(static_cast<int>(in[2].dtype), in[2].data, static_cast<int>(out[0].dtype), out[0].data,
                  out[0].size(), ctx.run.stream);
  } else {
    g.beta = 0;
  }
  op::gpu::batched_gemm(g, in[0].dtype, out[0].size() / std::max<std::int64_t>(g.m * g.n, 1), in[0].data, g.m * g.k,
                        in[1].data, g.k * g.n, out[0].data, g.m * g.n, ctx.run.stream);
}
#endif

// The gradients of A and B in alpha op(A) op(B) for head gradient g.
std::vector<NDArray> product_gradients(const GemmParams& p, const op::GradientArgs& args, const NDArray& g) {
  const NDArray &a = args.inputs[0], &b = args.inputs[1];
  const bool ta = p.transpose_a, tb = p.transpose_b;
  NDArray da, db;
  if (args.needs_input_grad[0]) da = ta ? gemm2(b, g, tb, true, p.alpha) : gemm2(g, b, false, !tb, p.alpha);
  if (args.needs_input_grad[1]) db = tb ? gemm2(g, a, true, ta, p.alpha) : gemm2(a, g, !ta, false, p.alpha);
  return {da, db};
}

constexpr char kGemmName[] = "linalg_gemm", kGemm2Name[] = "linalg_gemm2";

const op::Operator<GemmParams> kGemm = op::define<GemmParams>({
    .name = kGemmName,
    .num_inputs = 3,
    .infer = &infer_product<kGemmName>,
    .cpu = &product_cpu<kGemmName>,
    .gpu = MX_GPU(&product_gpu<kGemmName>),
    .gradient = [](const GemmParams& p, const op::GradientArgs& args) {
      std::vector<NDArray> grads = product_gradients(p, args, args.output_grads[0]);
      grads.push_back(args.needs_input_grad[2] ? args.output_grads[0] * p.beta : NDArray());
      return grads;
    },
});

const op::Operator<GemmParams> kGemm2 = op::define<GemmParams>({
    .name = kGemm2Name,
    .num_inputs = 2,
    .infer = &infer_product<kGemm2Name>,
    .cpu = &product_cpu<kGemm2Name>,
    .gpu = MX_GPU(&product_gpu<kGemm2Name>),
    .gradient = [](const GemmParams& p, const op::GradientArgs& args) {
      return product_gradients(p, args, args.output_grads[0]);
    },
});

// ---- trsm and trmm: a triangular A against a general B ----
struct TriangularParams {
  bool transpose = false, rightside = false, lower = true;
  double alpha = 1;
};

template <const char* kName>
void infer_triangular(const TriangularParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Batch a = op::linalg::square_batch_of(kName, in[0], "A");
  const Batch b = batch_of(kName, in[1], "B");
  check_same_batch(kName, in[0], in[1]);
  if ((p.rightside ? b.cols : b.rows) != a.rows) {
    throw ShapeError(std::string(kName) + ": A " + in[0].shape.str() + " does not fit B " + in[1].shape.str() +
                     (p.rightside ? " on the right" : " on the left"));
  }
  out[0] = in[1];
}

template <bool kSolve>
void triangular_cpu(const TriangularParams& p, std::span<const Blob> in, std::span<const Blob> out,
                    const op::ComputeContext&) {
  const Shape& bs = in[1].shape;
  const auto m = static_cast<blasint>(bs[bs.ndim() - 2]), n = static_cast<blasint>(bs[bs.ndim() - 1]);
  const blasint k = p.rightside ? n : m;
  std::memcpy(out[0].data, in[1].data, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  const auto side = p.rightside ? CblasRight : CblasLeft;
  const auto uplo = p.lower ? CblasLower : CblasUpper;
  const auto trans = p.transpose ? CblasTrans : CblasNoTrans;
  const std::int64_t count = m * n == 0 ? 0 : out[0].size() / (static_cast<std::int64_t>(m) * n);
  dispatch_real(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* a = in[0].ptr<T>();
    T* b = out[0].ptr<T>();
    for_each_matrix(count, [&](std::int64_t i) {
      const T* ai = a + i * k * k;
      T* bi = b + i * m * n;
      if constexpr (std::is_same_v<T, float>) {
        (kSolve ? cblas_strsm : cblas_strmm)(CblasRowMajor, side, uplo, trans, CblasNonUnit, m, n,
                                             static_cast<float>(p.alpha), ai, k, bi, n);
      } else {
        (kSolve ? cblas_dtrsm : cblas_dtrmm)(CblasRowMajor, side, uplo, trans, CblasNonUnit, m, n, p.alpha, ai, k,
                                             bi, n);
      }
    });
  });
}

// The part of a gradient that a triangular A's entries receive: the triangle the operator read.
NDArray keep_triangle(const NDArray& x, bool lower) { return lower ? tril(x) : triu(x); }

constexpr char kTrsmName[] = "linalg_trsm", kTrmmName[] = "linalg_trmm";

// X = alpha op(A)^-1 B: with Y = op(A)^-T G (or G op(A)^-T), dB = alpha Y and d op(A) = -Y X^T (or -X^T Y).
std::vector<NDArray> trsm_gradient(const TriangularParams& p, const op::GradientArgs& args) {
  const NDArray &a = args.inputs[0], &x = args.outputs[0];
  const NDArray y = trsm(a, args.output_grads[0], !p.transpose, p.rightside, p.lower, 1);
  NDArray da, db;
  if (args.needs_input_grad[0]) {
    const NDArray d_op = p.rightside ? gemm2(x, y, true, false, -1) : gemm2(y, x, false, true, -1);
    da = keep_triangle(p.transpose ? transposed(d_op) : d_op, p.lower);
  }
  if (args.needs_input_grad[1]) db = p.alpha == 1 ? y : y * p.alpha;
  return {da, db};
}

// X = alpha op(A) B: dB = alpha op(A)^T G (or alpha G op(A)^T), d op(A) = alpha G B^T (or alpha B^T G).
std::vector<NDArray> trmm_gradient(const TriangularParams& p, const op::GradientArgs& args) {
  const NDArray &a = args.inputs[0], &b = args.inputs[1], &g = args.output_grads[0];
  NDArray da, db;
  if (args.needs_input_grad[0]) {
    const NDArray d_op = p.rightside ? gemm2(b, g, true, false, p.alpha) : gemm2(g, b, false, true, p.alpha);
    da = keep_triangle(p.transpose ? transposed(d_op) : d_op, p.lower);
  }
  if (args.needs_input_grad[1]) db = trmm(a, g, !p.transpose, p.rightside, p.lower, p.alpha);
  return {da, db};
}

const op::Operator<TriangularParams> kTrsm = op::define<TriangularParams>({.name = kTrsmName,
                                                                           .num_inputs = 2,
                                                                           .infer = &infer_triangular<kTrsmName>,
                                                                           .cpu = &triangular_cpu<true>,
                                                                           .gradient = &trsm_gradient});
const op::Operator<TriangularParams> kTrmm = op::define<TriangularParams>({.name = kTrmmName,
                                                                           .num_inputs = 2,
                                                                           .infer = &infer_triangular<kTrmmName>,
                                                                           .cpu = &triangular_cpu<false>,
                                                                           .gradient = &trmm_gradient});

// ---- syrk ----
struct SyrkParams {
  bool transpose = false;
  double alpha = 1;
};

void infer_syrk(const SyrkParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Batch a = batch_of("linalg_syrk", in[0], "A");
  const std::int64_t n = p.transpose ? a.cols : a.rows;
  out[0] = {with_matrix(in[0].shape, n, n), in[0].dtype};
}

void syrk_cpu(const SyrkParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const std::int64_t rows = s[s.ndim() - 2], cols = s[s.ndim() - 1];
  const std::int64_t n = p.transpose ? cols : rows, k = p.transpose ? rows : cols;
  const std::int64_t count = n == 0 ? 0 : out[0].size() / (n * n);
  dispatch_real(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* a = in[0].ptr<T>();
    T* c = out[0].ptr<T>();
    for_each_matrix(count, [&](std::int64_t i) {
      const T* ai = a + i * rows * cols;
      T* ci = c + i * n * n;
      const auto trans = p.transpose ? CblasTrans : CblasNoTrans;
      if constexpr (std::is_same_v<T, float>) {
        cblas_ssyrk(CblasRowMajor, CblasLower, trans, static_cast<blasint>(n), static_cast<blasint>(k),
                    static_cast<float>(p.alpha), ai, static_cast<blasint>(cols), 0.0f, ci, static_cast<blasint>(n));
      } else {
        cblas_dsyrk(CblasRowMajor, CblasLower, trans, static_cast<blasint>(n), static_cast<blasint>(k), p.alpha, ai,
                    static_cast<blasint>(cols), 0.0, ci, static_cast<blasint>(n));
      }
      for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t col = r + 1; col < n; ++col) ci[r * n + col] = ci[col * n + r];
      }
    });
  });
}

// alpha A A^T: dA = alpha (G + G^T) A; alpha A^T A: dA = alpha A (G + G^T).
const op::Operator<SyrkParams> kSyrk = op::define<SyrkParams>({
    .name = "linalg_syrk",
    .infer = &infer_syrk,
    .cpu = &syrk_cpu,
    .gradient = [](const SyrkParams& p, const op::GradientArgs& args) -> std::vector<NDArray> {
      const NDArray& g = args.output_grads[0];
      const NDArray sym = g + transposed(g);
      return {p.transpose ? gemm2(args.inputs[0], sym, false, false, p.alpha)
                          : gemm2(sym, args.inputs[0], false, false, p.alpha)};
    },
});

}  // namespace

NDArray gemm(const NDArray& a, const NDArray& b, const NDArray& c, bool transpose_a, bool transpose_b, double alpha,
             double beta) {
  return op::invoke1(kGemm, {a, b, c}, GemmParams{transpose_a, transpose_b, alpha, beta});
}
NDArray gemm2(const NDArray& a, const NDArray& b, bool transpose_a, bool transpose_b, double alpha) {
  return op::invoke1(kGemm2, {a, b}, GemmParams{transpose_a, transpose_b, alpha, 0});
}
NDArray trsm(const NDArray& a, const NDArray& b, bool transpose, bool rightside, bool lower, double alpha) {
  return op::invoke1(kTrsm, {a, b}, TriangularParams{transpose, rightside, lower, alpha});
}
NDArray trmm(const NDArray& a, const NDArray& b, bool transpose, bool rightside, bool lower, double alpha) {
  return op::invoke1(kTrmm, {a, b}, TriangularParams{transpose, rightside, lower, alpha});
}
NDArray syrk(const NDArray& a, bool transpose, double alpha) {
  return op::invoke1(kSyrk, {a}, SyrkParams{transpose, alpha});
}

}  // namespace mx::nd::linalg
