#pragma once
// PyTorch's apply_: a C++ callable run on every element (MXNet offered only custom operators for this).
#include <functional>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// fn(x[i]) for every element, in x's dtype (the callable sees and returns double). It runs on an engine worker
// like any operator, possibly on several elements at once from different threads, so it must be safe to call
// concurrently; what it throws surfaces at the next sync point on the result. CPU arrays only; not
// differentiable (the result is a constant to autograd).
NDArray apply(const NDArray& x, std::function<double(double)> fn);
// The same, written into x itself (PyTorch's x.apply_(fn)). Returns x.
NDArray& apply_(NDArray& x, std::function<double(double)> fn);

}  // namespace mx::nd
