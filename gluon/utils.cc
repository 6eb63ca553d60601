#include <mx/gluon/utils.h>

#include <cmath>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/reduce.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::utils {

std::vector<NDArray> split_data(const NDArray& data, int num_slice, int batch_axis, bool even_split) {
  const int axis = normalize_axis(batch_axis, data.ndim(), "split_data");
  const std::int64_t extent = data.shape()[axis];
  if (num_slice < 1 || extent < num_slice) {
    throw ShapeError("split_data: cannot split " + data.shape().str() + " along axis " + std::to_string(axis) +
                     " into " + std::to_string(num_slice) + " slices");
  }
  if (even_split && extent % num_slice != 0) {
    throw ShapeError("split_data: " + std::to_string(extent) + " along axis " + std::to_string(axis) + " of " +
                     data.shape().str() + " does not split evenly into " + std::to_string(num_slice) +
                     " slices; pass even_split = false, or change the batch size");
  }
  std::vector<NDArray> parts;
  const std::int64_t step = extent / num_slice, longer = extent % num_slice;
  std::int64_t begin = 0;
  for (int i = 0; i < num_slice; ++i) {
    const std::int64_t end = begin + step + (i < longer ? 1 : 0);
    parts.push_back(axis == 0 ? data.slice(begin, end) : nd::slice_axis(data, axis, begin, end));
    begin = end;
  }
  return parts;
}

std::vector<NDArray> split_and_load(const NDArray& data, const std::vector<Context>& ctx, int batch_axis, bool even_split) {
  if (ctx.empty()) throw Error("split_and_load: no contexts given");
  std::vector<NDArray> parts = split_data(data, static_cast<int>(ctx.size()), batch_axis, even_split);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!(parts[i].context() == ctx[i])) parts[i] = parts[i].copyto(ctx[i]);
  }
  return parts;
}

double clip_global_norm(std::vector<NDArray>& arrays, double max_norm) {
  if (arrays.empty()) throw Error("clip_global_norm: no arrays");
  autograd::pause no_recording;
  double total = 0;
  for (const NDArray& a : arrays) {
    const double n = nd::norm(a).as_in_context(cpu()).asscalar<double>();
    total += n * n;
  }
  const double norm = std::sqrt(total);
  if (!std::isfinite(norm)) return norm;
  const double scale = max_norm / (norm + 1e-8);
  if (scale < 1) {
    for (NDArray& a : arrays) a *= scale;
  }
  return norm;
}

}  // namespace mx::gluon::utils
