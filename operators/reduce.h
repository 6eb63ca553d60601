#pragma once
// Reductions over axes. `axis` empty reduces over every axis; negative axes count from the end. With keepdims the
// reduced axes stay, with extent 1. Results keep the input's dtype, except argmax and argmin (float32 indices).
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

NDArray sum(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
// The sum written into `out`, an existing array of the result's shape and dtype (MXNet's out=).
NDArray& sum(const NDArray& x, std::vector<int> axis, bool keepdims, NDArray& out);
NDArray mean(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
NDArray max(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
NDArray min(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
NDArray prod(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
// NaN counts as 0 (nansum) or 1 (nanprod), as NumPy's.
NDArray nansum(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
NDArray nanprod(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false);
// Variance and standard deviation with `ddof` delta degrees of freedom (NumPy's; PyTorch's unbiased is ddof 1).
NDArray var(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false, int ddof = 0);
NDArray std(const NDArray& x, std::vector<int> axis = {}, bool keepdims = false, int ddof = 0);
// The index of the largest (smallest) value along `axis`, the first on ties, as float32 (MXNet's).
NDArray argmax(const NDArray& x, int axis, bool keepdims = false);
NDArray argmin(const NDArray& x, int axis, bool keepdims = false);
// The vector `ord`-norm over `axis`, any ord PyTorch's dist takes: (sum |x|^ord)^(1/ord); infinity gives
// max |x|, -infinity min |x|, 0 the count of nonzeros.
NDArray norm(const NDArray& x, double ord = 2, std::vector<int> axis = {}, bool keepdims = false);
// PyTorch's dist: the p-norm of x - y (broadcast), over every element.
NDArray dist(const NDArray& x, const NDArray& y, double p = 2);
// x summed over the axes along which `shape` was broadcast to x's shape (PyTorch's sum_to_size): the gradient
// of a broadcast input.
NDArray sum_to_shape(const NDArray& x, const Shape& shape);

}  // namespace mx::nd
