#pragma once
// MXNet's linalg operators on OpenBLAS and its LAPACK. Each works on the last two axes and is batched over the
// leading ones, which must agree between operands. float32 and float64 only (mx::DTypeError otherwise). Matrices
// are row-major, as everywhere in mxpp. Numerical failures (a matrix that is not positive definite, or singular)
// are found while computing, so they surface at the next sync point on the result, naming the matrix.
#include <utility>

#include <mx/ndarray/ndarray.h>

namespace mx::nd::linalg {

// alpha * op(A) op(B) + beta * C, op(X) = X or its transpose (PyTorch's addmm and baddbmm).
NDArray gemm(const NDArray& a, const NDArray& b, const NDArray& c, bool transpose_a = false, bool transpose_b = false,
             double alpha = 1, double beta = 1);
// alpha * op(A) op(B) (PyTorch's mm and bmm).
NDArray gemm2(const NDArray& a, const NDArray& b, bool transpose_a = false, bool transpose_b = false, double alpha = 1);

// The lower Cholesky factor L of a symmetric positive-definite A = L L^T; reads A's lower triangle. Its gradient
// is symmetric, as MXNet's and PyTorch's (the derivative along symmetric perturbations).
NDArray potrf(const NDArray& a);
// A^-1 from A's Cholesky factor L (lower): (L L^T)^-1. Reads L's lower triangle.
NDArray potri(const NDArray& l);
// Solves op(A) X = alpha B for X (or X op(A) = alpha B with rightside), A triangular (the lower or upper
// triangle is read); B has shape (..., m, n).
NDArray trsm(const NDArray& a, const NDArray& b, bool transpose = false, bool rightside = false, bool lower = true,
             double alpha = 1);
// alpha op(A) B (or alpha B op(A) with rightside), A triangular (the other triangle is ignored).
NDArray trmm(const NDArray& a, const NDArray& b, bool transpose = false, bool rightside = false, bool lower = true,
             double alpha = 1);
// alpha A A^T (or alpha A^T A with transpose), the whole symmetric matrix.
NDArray syrk(const NDArray& a, bool transpose = false, double alpha = 1);
// The LQ factorization A = L Q of A (m, n) with m <= n: Q (m, n) with orthonormal rows and L (m, m) lower
// triangular with a nonnegative diagonal. Returns {Q, L}, as MXNet.
std::pair<NDArray, NDArray> gelqf(const NDArray& a);
// The eigendecomposition A = U^T diag(lambda) U of a symmetric A (its lower triangle is read): U's rows are the
// eigenvectors, each with its largest-magnitude entry positive; lambda ascending. Returns {U, lambda}, as MXNet.
// A non-square matrix is an mx::ShapeError at the call.
std::pair<NDArray, NDArray> syevd(const NDArray& a);
// A^-1 of a square A, by LU with partial pivoting. A singular matrix is an error (at the next sync point).
NDArray inverse(const NDArray& a);
// det(A), shape (...): 0 for a singular matrix.
NDArray det(const NDArray& a);
// {sign, log|det(A)|}: sign 0 and -infinity for a singular matrix, as NumPy's.
std::pair<NDArray, NDArray> slogdet(const NDArray& a);
// The least-squares solution X of A X = B (A (m, n) of full rank, B (m, k)): argmin |A X - B| when m >= n,
// the minimum-norm solution when m < n. PyTorch's linalg.lstsq; gels below is its older name.
NDArray lstsq(const NDArray& a, const NDArray& b);

// Diagonals and triangles of square matrices (..., n, n), as MXNet's (linalg_layout.cc): taken and placed by index,
// so they run on any device and differentiate, any float dtype. offset k > 0 is the k-th diagonal above the main
// one, k < 0 below.
// The k-th diagonal (..., n - |k|), and the matrices (..., m + |k|, m + |k|) holding a (..., m) on it, zero elsewhere.
NDArray extractdiag(const NDArray& a, int offset = 0);
NDArray makediag(const NDArray& a, int offset = 0);
// The triangle on and below (lower) or above the main diagonal for offset 0, above the k-th diagonal for k > 0
// and below it for k < 0, row by row: (..., t (t + 1) / 2) with t = n - |k|; maketrian places such a vector back
// into (..., n, n), zero elsewhere.
NDArray extracttrian(const NDArray& a, int offset = 0, bool lower = true);
NDArray maketrian(const NDArray& a, int offset = 0, bool lower = true);
// The sum of the logarithms of each matrix's diagonal (...): log det of a Cholesky factor (potrf's) per matrix.
NDArray sumlogdiag(const NDArray& a);

}  // namespace mx::nd::linalg

namespace mx::nd {
// The names of the seed tutorial's table (MXNet's nd.linalg_gemm, nd.linalg_gemm2, nd.linalg.syevd), and
// PyTorch's B.gels(A).
inline NDArray linalg_gemm(const NDArray& a, const NDArray& b, const NDArray& c, bool transpose_a = false,
                           bool transpose_b = false, double alpha = 1, double beta = 1) {
  return linalg::gemm(a, b, c, transpose_a, transpose_b, alpha, beta);
}
inline NDArray linalg_gemm2(const NDArray& a, const NDArray& b, bool transpose_a = false, bool transpose_b = false,
                            double alpha = 1) {
  return linalg::gemm2(a, b, transpose_a, transpose_b, alpha);
}
inline std::pair<NDArray, NDArray> linalg_syevd(const NDArray& a) { return linalg::syevd(a); }
inline NDArray gels(const NDArray& b, const NDArray& a) { return linalg::lstsq(a, b); }
}  // namespace mx::nd
