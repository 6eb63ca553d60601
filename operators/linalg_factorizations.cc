// linalg potrf, potri, gelqf and syevd on LAPACK. Row-major matrices are LAPACK's column-major transposes, so a
// row-major lower triangle is LAPACK's upper one ('U') throughout.
#include <cmath>
#include <cstring>
#include <vector>

#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>
#include <mx/operators/lapack.h>
#include <mx/operators/layout.h>
#include <mx/operators/linalg.h>
#include <mx/operators/linalg_common.h>
#include <mx/operators/select.h>

namespace mx::nd::linalg {
namespace {

using op::ArrayInfo;
using op::linalg::Batch;
using op::linalg::dispatch_real;
using op::linalg::fail_matrix;
using op::linalg::for_each_matrix;
using op::linalg::square_batch_of;
using op::linalg::with_matrix;

using op::linalg::NoParams;
using op::linalg::factor_in_place;
using op::linalg::transposed;

// The symmetric matrix whose lower triangle is x's (MXNet's copyLTU).
NDArray symmetric_from_lower(const NDArray& x) { return tril(x) + transposed(tril(x, -1)); }

template <const char* kName>
void infer_square(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  square_batch_of(kName, in[0]);
  out[0] = in[0];
}

// Zeros above the diagonal of each row-major n x n matrix (LAPACK leaves the other triangle as it was).
template <class T>
void clear_upper(T* a, std::int64_t n) {
  for (std::int64_t r = 0; r < n; ++r) std::fill(a + r * n + r + 1, a + (r + 1) * n, T{0});
}

// ---- potrf: A = L L^T ----
constexpr char kPotrfName[] = "linalg_potrf", kPotriName[] = "linalg_potri";

void potrf_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  factor_in_place(in[0], out[0], [&](auto* a, std::int64_t i, std::int64_t n) {
    const int info = op::lapack::potrf('U', static_cast<int>(n), a, static_cast<int>(n));
    if (info > 0) {
      fail_matrix(kPotrfName, i, in[0].shape,
                  "is not positive definite (leading minor " + std::to_string(info) + " is not positive)");
    }
    clear_upper(a, n);
  });
}

// Murray's symmetric form: with P = Phi(L^T dL) (the lower triangle, diagonal halved),
// S = L^-T P L^-1 and dA = (S + S^T) / 2.
std::vector<NDArray> potrf_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray &l = args.outputs[0], &g = args.output_grads[0];
  const NDArray product = gemm2(l, g, true, false);
  const NDArray phi = (tril(product) + tril(product, -1)) * 0.5;
  const NDArray s = trsm(l, trsm(l, phi, true, false, true), false, true, true);
  return {(s + transposed(s)) * 0.5};
}

const op::Operator<NoParams> kPotrf = op::define<NoParams>(
    {.name = kPotrfName, .infer = &infer_square<kPotrfName>, .cpu = &potrf_cpu, .gradient = &potrf_gradient});

// ---- potri: (L L^T)^-1 from L ----
void potri_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  factor_in_place(in[0], out[0], [&](auto* a, std::int64_t i, std::int64_t n) {
    const int info = op::lapack::potri('U', static_cast<int>(n), a, static_cast<int>(n));
    if (info > 0) {
      fail_matrix(kPotriName, i, in[0].shape, "is singular (L[" + std::to_string(info - 1) + ", " +
                                                   std::to_string(info - 1) + "] is zero)");
    }
    for (std::int64_t r = 0; r < n; ++r) {  // the lower triangle is filled: mirror it
      for (std::int64_t c = r + 1; c < n; ++c) a[r * n + c] = a[c * n + r];
    }
  });
}

// Y = (L L^T)^-1: dL = tril(-Y (G + G^T) Y L), the lower triangle being what potri read.
std::vector<NDArray> potri_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray &y = args.outputs[0], &g = args.output_grads[0];
  const NDArray inner = gemm2(gemm2(y, g + transposed(g)), y, false, false, -1);
  return {tril(gemm2(inner, tril(args.inputs[0])))};  // L as potri saw it: the lower triangle
}

const op::Operator<NoParams> kPotri = op::define<NoParams>(
    {.name = kPotriName, .infer = &infer_square<kPotriName>, .cpu = &potri_cpu, .gradient = &potri_gradient});

// ---- gelqf: A = L Q ----
// Row-major A (m, n) is column-major A^T (n, m) = Q' R (QR): Q = Q'^T is then the same buffer, and L = R^T.
void infer_gelqf(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Batch b = op::linalg::batch_of("linalg_gelqf", in[0]);
  if (b.rows > b.cols) {
    throw ShapeError("linalg_gelqf: A must have no more rows than columns, got " + in[0].shape.str());
  }
  out[0] = in[0];
  out[1] = {with_matrix(in[0].shape, b.rows, b.rows), in[0].dtype};
}

void gelqf_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape& s = in[0].shape;
  const std::int64_t m = s[s.ndim() - 2], n = s[s.ndim() - 1];
  std::memcpy(out[0].data, in[0].data, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  dispatch_real(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    for_each_matrix(m == 0 ? 0 : out[0].size() / (m * n), [&](std::int64_t i) {
      T* q = out[0].ptr<T>() + i * m * n;
      T* l = out[1].ptr<T>() + i * m * m;
      const int rows = static_cast<int>(n), cols = static_cast<int>(m);
      std::vector<T> tau(static_cast<std::size_t>(std::max(cols, 1))), work(static_cast<std::size_t>(std::max(rows, 1) * 64));
      op::lapack::geqrf(rows, cols, q, rows, tau.data(), work.data(), static_cast<int>(work.size()));
      for (std::int64_t r = 0; r < m; ++r) {  // L[r][c] = R(c, r) = q[c + r * n] for c <= r
        for (std::int64_t c = 0; c < m; ++c) l[r * m + c] = c <= r ? q[c + r * n] : T{0};
      }
      op::lapack::orgqr(rows, cols, cols, q, rows, tau.data(), work.data(), static_cast<int>(work.size()));
      for (std::int64_t r = 0; r < m; ++r) {  // the unique factors: L's diagonal nonnegative
        if (l[r * m + r] >= 0) continue;
        for (std::int64_t k = 0; k < m; ++k) l[k * m + r] = -l[k * m + r];
        for (std::int64_t k = 0; k < n; ++k) q[r * n + k] = -q[r * n + k];
      }
    });
  });
}

// MXNet's: with M = L^T dL - dQ Q^T, dA = L^-T (dQ + copyLTU(M) Q).
std::vector<NDArray> gelqf_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray &q = args.outputs[0], &l = args.outputs[1];
  const NDArray &dq = args.output_grads[0], &dl = args.output_grads[1];
  const NDArray m = gemm2(l, dl, true, false) - gemm2(dq, q, false, true);
  return {trsm(l, dq + gemm2(symmetric_from_lower(m), q), true, false, true)};
}

const op::Operator<NoParams> kGelqf = op::define<NoParams>({.name = "linalg_gelqf",
                                                            .num_inputs = 1,
                                                            .num_outputs = 2,
                                                            .infer = &infer_gelqf,
                                                            .cpu = &gelqf_cpu,
                                                            .gradient = &gelqf_gradient});

// ---- syevd: A = U^T diag(lambda) U ----
constexpr char kSyevdName[] = "linalg_syevd";

void infer_syevd(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Batch b = square_batch_of(kSyevdName, in[0]);
  out[0] = in[0];
  out[1] = {Shape(in[0].shape.dims().first(static_cast<std::size_t>(in[0].shape.ndim() - 1))), in[0].dtype};
  (void)b;
}

void syevd_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const std::int64_t n = in[0].shape[in[0].shape.ndim() - 1];
  std::memcpy(out[0].data, in[0].data, static_cast<std::size_t>(out[0].size()) * dtype_size(out[0].dtype));
  dispatch_real(out[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    for_each_matrix(n == 0 ? 0 : out[0].size() / (n * n), [&](std::int64_t i) {
      T* u = out[0].ptr<T>() + i * n * n;
      T* w = out[1].ptr<T>() + i * n;
      const int size = static_cast<int>(n);
      std::vector<T> work(static_cast<std::size_t>(1 + 6 * n + 2 * n * n));
      std::vector<int> iwork(static_cast<std::size_t>(3 + 5 * n));
      const int info = op::lapack::syevd('V', 'U', size, u, size, w, work.data(), static_cast<int>(work.size()),
                                         iwork.data(), static_cast<int>(iwork.size()));
      if (info > 0) fail_matrix(kSyevdName, i, in[0].shape, "did not converge");
      for (std::int64_t r = 0; r < n; ++r) {  // each eigenvector's largest-magnitude entry positive
        T* row = u + r * n;
        const T* largest = std::max_element(row, row + n, [](T a, T b) { return std::abs(a) < std::abs(b); });
        if (*largest < 0) std::transform(row, row + n, row, [](T v) { return -v; });
      }
    });
  });
}

// With V = U^T: dA = V (diag(dlambda) + F o (V^T dV)) V^T, F[i][j] = 1 / (lambda_j - lambda_i) off the
// diagonal, symmetrized (the derivative along symmetric perturbations).
std::vector<NDArray> syevd_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray &u = args.outputs[0], &lambda = args.outputs[1];
  const NDArray &du = args.output_grads[0], &dlambda = args.output_grads[1];
  const std::int64_t n = lambda.shape()[lambda.ndim() - 1];
  Shape row_shape = u.shape(), column_shape = u.shape();
  row_shape[row_shape.ndim() - 2] = 1;
  column_shape[column_shape.ndim() - 1] = 1;
  const NDArray gaps = lambda.reshape(row_shape) - lambda.reshape(column_shape);  // lambda_j - lambda_i
  const NDArray identity = eye(n, 0, 0, u.context(), u.dtype());
  const NDArray f = where(identity, zeros({1}, u.context(), u.dtype()), reciprocal(gaps + identity));
  const NDArray inner = f * gemm2(u, du, false, true) + identity * dlambda.reshape(row_shape);
  const NDArray s = gemm2(gemm2(u, inner, true, false), u);
  return {(s + transposed(s)) * 0.5};
}

const op::Operator<NoParams> kSyevd = op::define<NoParams>({.name = kSyevdName,
                                                            .num_inputs = 1,
                                                            .num_outputs = 2,
                                                            .infer = &infer_syevd,
                                                            .cpu = &syevd_cpu,
                                                            .gradient = &syevd_gradient});

}  // namespace

NDArray potrf(const NDArray& a) { return op::invoke1(kPotrf, {a}); }
NDArray potri(const NDArray& l) { return op::invoke1(kPotri, {l}); }
std::pair<NDArray, NDArray> gelqf(const NDArray& a) { return op::linalg::invoke_pair(kGelqf, a); }
std::pair<NDArray, NDArray> syevd(const NDArray& a) { return op::linalg::invoke_pair(kSyevd, a); }

}  // namespace mx::nd::linalg
