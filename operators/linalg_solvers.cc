// linalg inverse, det, slogdet (LU with partial pivoting) and lstsq (QR or LQ, LAPACK's gels).
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

#include <mx/operators/elemwise.h>
#include <mx/operators/invoke.h>
#include <mx/operators/lapack.h>
#include <mx/operators/layout.h>
#include <mx/operators/linalg.h>
#include <mx/operators/linalg_common.h>

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
using op::linalg::transposed;
// x (...) as (..., 1, 1), to scale the matrices of a batch.
NDArray per_matrix(const NDArray& x) {
  Shape s = x.shape();
  s.push_back(1);
  s.push_back(1);
  return x.reshape(s);
}

// ---- inverse ----
constexpr char kInverseName[] = "linalg_inverse", kDetName[] = "linalg_det", kSlogdetName[] = "linalg_slogdet";

void inverse_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  // LAPACK sees A^T, and the inverse of A^T is (A^-1)^T: the same buffer.
  op::linalg::factor_in_place(in[0], out[0], [&](auto* a, std::int64_t i, std::int64_t n) {
    using T = std::remove_pointer_t<decltype(a)>;
    const int size = static_cast<int>(n);
    std::vector<int> pivots(static_cast<std::size_t>(n));
    const int info = op::lapack::getrf(size, size, a, size, pivots.data());
    if (info > 0) {
      fail_matrix(kInverseName, i, in[0].shape, "is singular (pivot " + std::to_string(info - 1) + " is zero)");
    }
    std::vector<T> work(static_cast<std::size_t>(n * 64));
    op::lapack::getri(size, a, size, pivots.data(), work.data(), static_cast<int>(work.size()));
  });
}

// Y = A^-1: dA = -Y^T G Y^T.
std::vector<NDArray> inverse_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray& y = args.outputs[0];
  return {gemm2(gemm2(y, args.output_grads[0], true, false), y, false, true, -1)};
}

void infer_inverse(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  square_batch_of(kInverseName, in[0]);
  out[0] = in[0];
}

const op::Operator<NoParams> kInverse = op::define<NoParams>(
    {.name = kInverseName, .infer = &infer_inverse, .cpu = &inverse_cpu, .gradient = &inverse_gradient});

// ---- det and slogdet: the LU factors' diagonal ----
template <const char* kName>
void infer_determinant(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  square_batch_of(kName, in[0]);
  const Shape batch(in[0].shape.dims().first(static_cast<std::size_t>(in[0].shape.ndim() - 2)));
  for (ArrayInfo& o : out) o = {batch, in[0].dtype};
}

// sign(det A) and log|det A| of each matrix.
template <class T, class Store>
void determinants(const Blob& in, Store store) {
  const std::int64_t n = in.shape[in.shape.ndim() - 1];
  std::int64_t count = 1;
  for (int d = 0; d < in.shape.ndim() - 2; ++d) count *= in.shape[d];
  for_each_matrix(count, [&](std::int64_t i) {
    std::vector<T> lu(in.ptr<T>() + i * n * n, in.ptr<T>() + (i + 1) * n * n);
    std::vector<int> pivots(static_cast<std::size_t>(n));
    const int size = static_cast<int>(n);
    if (n > 0 && op::lapack::getrf(size, size, lu.data(), size, pivots.data()) > 0) {
      store(i, T{0}, -std::numeric_limits<T>::infinity());
      return;
    }
    T sign = 1, log_abs = 0;
    for (std::int64_t k = 0; k < n; ++k) {
      const T d = lu[static_cast<std::size_t>(k * n + k)];
      if (d < 0) sign = -sign;
      if (pivots[static_cast<std::size_t>(k)] != k + 1) sign = -sign;
      log_abs += std::log(std::abs(d));
    }
    store(i, sign, log_abs);
  });
}

void det_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  dispatch_real(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T* det = out[0].ptr<T>();
    determinants<T>(in[0], [&](std::int64_t i, T sign, T log_abs) { det[i] = sign * std::exp(log_abs); });
  });
}

void slogdet_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  dispatch_real(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    T *sign = out[0].ptr<T>(), *log_abs = out[1].ptr<T>();
    determinants<T>(in[0], [&](std::int64_t i, T s, T l) {
      sign[i] = s;
      log_abs[i] = l;
    });
  });
}

// d det(A) = det(A) A^-T; d log|det A| = A^-T. The sign is piecewise constant.
const op::Operator<NoParams> kDet = op::define<NoParams>({
    .name = kDetName,
    .infer = &infer_determinant<kDetName>,
    .cpu = &det_cpu,
    .gradient = [](const NoParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      const NDArray scale = per_matrix(args.output_grads[0] * args.outputs[0]);
      return {scale * transposed(inverse(args.inputs[0]))};
    },
});

const op::Operator<NoParams> kSlogdet = op::define<NoParams>({
    .name = kSlogdetName,
    .num_inputs = 1,
    .num_outputs = 2,
    .infer = &infer_determinant<kSlogdetName>,
    .cpu = &slogdet_cpu,
    .gradient = [](const NoParams&, const op::GradientArgs& args) -> std::vector<NDArray> {
      return {per_matrix(args.output_grads[1]) * transposed(inverse(args.inputs[0]))};
    },
});

// ---- lstsq ----
constexpr char kLstsqName[] = "linalg_lstsq";

void infer_lstsq(const NoParams&, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  const Batch a = op::linalg::batch_of(kLstsqName, in[0], "A");
  const Batch b = op::linalg::batch_of(kLstsqName, in[1], "B");
  op::linalg::check_same_batch(kLstsqName, in[0], in[1]);
  if (b.rows != a.rows) {
    throw ShapeError(std::string(kLstsqName) + ": A " + in[0].shape.str() + " and B " + in[1].shape.str() +
                     " must have the same number of rows");
  }
  out[0] = {with_matrix(in[1].shape, a.cols, b.cols), in[0].dtype};
}

void lstsq_cpu(const NoParams&, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const Shape &as = in[0].shape, &bs = in[1].shape;
  const std::int64_t m = as[as.ndim() - 2], n = as[as.ndim() - 1], k = bs[bs.ndim() - 1];
  const std::int64_t count = m * n == 0 ? 0 : in[0].size() / (m * n);
  dispatch_real(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    for_each_matrix(count, [&](std::int64_t i) {
      const T* a = in[0].ptr<T>() + i * m * n;
      const T* b = in[1].ptr<T>() + i * m * k;
      const std::int64_t ldb = std::max<std::int64_t>({m, n, 1});
      std::vector<T> a_cm(static_cast<std::size_t>(m * n)), b_cm(static_cast<std::size_t>(ldb * k));
      for (std::int64_t r = 0; r < m; ++r) {  // to column-major
        for (std::int64_t c = 0; c < n; ++c) a_cm[static_cast<std::size_t>(c * m + r)] = a[r * n + c];
        for (std::int64_t c = 0; c < k; ++c) b_cm[static_cast<std::size_t>(c * ldb + r)] = b[r * k + c];
      }
      const std::int64_t mn = std::min(m, n);
      std::vector<T> work(static_cast<std::size_t>(std::max<std::int64_t>(1, mn + std::max(mn, k)) * 64));
      const int info = op::lapack::gels('N', static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), a_cm.data(),
                                        static_cast<int>(std::max<std::int64_t>(m, 1)), b_cm.data(), static_cast<int>(ldb),
                                        work.data(), static_cast<int>(work.size()));
      // gels stops only at an exactly zero diagonal of the triangular factor; one negligible against the largest
      // means the same to working precision (the solution would be noise).
      T largest = 0, smallest = std::numeric_limits<T>::infinity();
      for (std::int64_t d = 0; d < mn; ++d) {
        const T v = std::abs(a_cm[static_cast<std::size_t>(d * m + d)]);
        largest = std::max(largest, v);
        smallest = std::min(smallest, v);
      }
      if (info > 0 || (mn > 0 && smallest <= largest * static_cast<T>(std::max(m, n)) * std::numeric_limits<T>::epsilon())) {
        fail_matrix(kLstsqName, i, as, "does not have full rank");
      }
      T* x = out[0].ptr<T>() + i * n * k;
      for (std::int64_t r = 0; r < n; ++r) {
        for (std::int64_t c = 0; c < k; ++c) x[r * k + c] = b_cm[static_cast<std::size_t>(c * ldb + r)];
      }
    });
  });
}

// m >= n, X = (A^T A)^-1 A^T B: with Z = (A^T A)^-1 G and R = B - A X, dA = R Z^T - A Z X^T, dB = A Z.
// m < n, X = A^T W, W = (A A^T)^-1 B: with V = (A A^T)^-1 A G, dA = W G^T - (V W^T + W V^T) A, dB = V.
std::vector<NDArray> lstsq_gradient(const NoParams&, const op::GradientArgs& args) {
  const NDArray &a = args.inputs[0], &b = args.inputs[1], &x = args.outputs[0], &g = args.output_grads[0];
  const std::int64_t m = a.shape()[a.ndim() - 2], n = a.shape()[a.ndim() - 1];
  if (m >= n) {
    const NDArray z = gemm2(inverse(gemm2(a, a, true, false)), g);
    const NDArray residual = b - gemm2(a, x);
    return {gemm2(residual, z, false, true) - gemm2(gemm2(a, z), x, false, true), gemm2(a, z)};
  }
  const NDArray gram_inverse = inverse(gemm2(a, a, false, true));
  const NDArray w = gemm2(gram_inverse, b), v = gemm2(gram_inverse, gemm2(a, g));
  const NDArray vw = gemm2(v, w, false, true);
  return {gemm2(w, g, false, true) - gemm2(vw + transposed(vw), a), v};
}

const op::Operator<NoParams> kLstsq = op::define<NoParams>(
    {.name = kLstsqName, .num_inputs = 2, .infer = &infer_lstsq, .cpu = &lstsq_cpu, .gradient = &lstsq_gradient});

}  // namespace

NDArray inverse(const NDArray& a) { return op::invoke1(kInverse, {a}); }
NDArray det(const NDArray& a) { return op::invoke1(kDet, {a}); }
std::pair<NDArray, NDArray> slogdet(const NDArray& a) { return op::linalg::invoke_pair(kSlogdet, a); }
NDArray lstsq(const NDArray& a, const NDArray& b) { return op::invoke1(kLstsq, {a, b}); }

}  // namespace mx::nd::linalg
