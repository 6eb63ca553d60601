#pragma once
// Products of vectors that PyTorch names and MXNet lacked (outer, addr and cross), and MXNet's khatri_rao.
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// The (n, m) matrix u[i] * v[j] of vectors u (n,) and v (m,).
NDArray outer(const NDArray& u, const NDArray& v);
// PyTorch's addr: beta * m + alpha * outer(u, v); m (n, m) or broadcastable to it.
NDArray addr(const NDArray& m, const NDArray& u, const NDArray& v, double beta = 1, double alpha = 1);
// The cross product of 3-vectors along `axis` (of extent 3 in both; other axes broadcast), as PyTorch's
// cross(a, b, dim).
NDArray cross(const NDArray& a, const NDArray& b, int axis = -1);
// MXNet's khatri_rao: the column-wise Kronecker product of matrices (I1, K), (I2, K), ...: (I1 I2 ..., K), row
// (i1 I2 + i2) ... holding A1[i1, k] A2[i2, k] ... in column k. Differentiable.
NDArray khatri_rao(const std::vector<NDArray>& matrices);

}  // namespace mx::nd
