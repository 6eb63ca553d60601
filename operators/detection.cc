#include <mx/operators/detection.h>

#include <algorithm>
#include <numeric>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/indexing.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>

namespace mx::nd::contrib {
namespace {

void check_format(const char* op, const std::string& format) {
  if (format != "corner" && format != "center") {
    throw Error(std::string(op) + ": format must be \"corner\" or \"center\", got \"" + format + "\"");
  }
}

// (n, 4) boxes as their four corner coordinates, each (n, 1).
std::vector<NDArray> corners(const NDArray& boxes, const std::string& format) {
  std::vector<NDArray> c;
  for (int k = 0; k < 4; ++k) c.push_back(slice_axis(boxes, 1, k, k + 1));
  if (format == "corner") return c;
  const NDArray half_w = c[2] * 0.5, half_h = c[3] * 0.5;
  return {c[0] - half_w, c[1] - half_h, c[0] + half_w, c[1] + half_h};
}

}  // namespace

NDArray box_iou(const NDArray& lhs, const NDArray& rhs, const std::string& format) {
  check_format("box_iou", format);
  if (lhs.ndim() < 1 || rhs.ndim() < 1 || lhs.shape()[lhs.ndim() - 1] != 4 || rhs.shape()[rhs.ndim() - 1] != 4) {
    throw ShapeError("box_iou: boxes must be (..., 4), got " + lhs.shape().str() + " and " + rhs.shape().str());
  }
  const std::int64_t n = lhs.size() / 4, m = rhs.size() / 4;
  const std::vector<NDArray> a = corners(lhs.reshape({n, 4}), format);                    // each (n, 1)
  std::vector<NDArray> b = corners(rhs.reshape({m, 4}), format);
  for (NDArray& v : b) v = v.reshape({1, m});                                             // each (1, m)
  const NDArray width = relu(minimum(a[2], b[2]) - maximum(a[0], b[0]));                   // (n, m)
  const NDArray height = relu(minimum(a[3], b[3]) - maximum(a[1], b[1]));
  const NDArray inter = width * height;
  const NDArray area_a = (a[2] - a[0]) * (a[3] - a[1]), area_b = (b[2] - b[0]) * (b[3] - b[1]);
  // An empty union holds no intersection either: 0 / eps, so that 0 comes out without a NaN in the gradient.
  const NDArray iou = inter / maximum(area_a + area_b - inter, 1e-12);
  Shape out;
  for (int i = 0; i + 1 < lhs.ndim(); ++i) out.push_back(lhs.shape()[i]);
  for (int i = 0; i + 1 < rhs.ndim(); ++i) out.push_back(rhs.shape()[i]);
  return iou.reshape(out);
}

NDArray boolean_mask(const NDArray& data, const NDArray& index, int axis) {
  const int ax = axis < 0 ? axis + data.ndim() : axis;
  if (ax < 0 || ax >= data.ndim()) {
    throw ShapeError("boolean_mask: axis " + std::to_string(axis) + " is out of range for " + data.shape().str());
  }
  if (index.ndim() != 1 || index.shape()[0] != data.shape()[ax]) {
    throw ShapeError("boolean_mask: index must be (" + std::to_string(data.shape()[ax]) + ",) for axis " +
                     std::to_string(axis) + " of " + data.shape().str() + ", got " + index.shape().str());
  }
  const std::vector<double> mask = index.asnumpy<double>();
  std::vector<double> kept;
  for (std::size_t i = 0; i < mask.size(); ++i) {
    if (mask[i] != 0) kept.push_back(static_cast<double>(i));
  }
  if (kept.empty()) {  // MXNet gives an empty array along the axis
    Shape empty = data.shape();
    empty[ax] = 0;
    return zeros(empty, data.context(), data.dtype());
  }
  return take(data, array(kept, std::nullopt, data.context(), DType::kInt64), ax);
}

namespace {

struct NmsParams {
  BoxNmsOptions options;
};

double iou_of(const double* a, const double* b, bool center) {
  auto box = [center](const double* p, double out[4]) {
    if (center) {
      out[0] = p[0] - p[2] / 2, out[1] = p[1] - p[3] / 2, out[2] = p[0] + p[2] / 2, out[3] = p[1] + p[3] / 2;
    } else {
      std::copy(p, p + 4, out);
    }
  };
  double x[4], y[4];
  box(a, x);
  box(b, y);
  const double w = std::max(0.0, std::min(x[2], y[2]) - std::max(x[0], y[0]));
  const double h = std::max(0.0, std::min(x[3], y[3]) - std::max(x[1], y[1]));
  const double inter = w * h, uni = (x[2] - x[0]) * (x[3] - x[1]) + (y[2] - y[0]) * (y[3] - y[1]) - inter;
  return uni > 0 ? inter / uni : 0;
}

void nms_cpu(const NmsParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  const BoxNmsOptions& o = p.options;
  const Shape& shape = in[0].shape;
  const std::int64_t n = shape[shape.ndim() - 2], k = shape[shape.ndim() - 1], batches = in[0].size() / std::max<std::int64_t>(n * k, 1);
  const bool in_center = o.in_format == "center", convert = o.in_format != o.out_format;
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
      std::vector<double> rows(static_cast<std::size_t>(n * k));
      std::vector<std::int64_t> order;
      for (std::int64_t b = begin; b < end; ++b) {
        for (std::int64_t i = 0; i < n * k; ++i) rows[static_cast<std::size_t>(i)] = static_cast<double>(x[b * n * k + i]);
        auto row = [&](std::int64_t i) { return rows.data() + i * k; };
        order.clear();
        for (std::int64_t i = 0; i < n; ++i) {
          const double score = row(i)[o.score_index];
          const bool background = o.id_index >= 0 && o.background_id >= 0 && row(i)[o.id_index] == o.background_id;
          if (score > o.valid_thresh && !background) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t c) {
          return row(a)[o.score_index] > row(c)[o.score_index];
        });
        if (o.topk >= 0 && static_cast<std::int64_t>(order.size()) > o.topk) order.resize(static_cast<std::size_t>(o.topk));
        std::vector<bool> removed(order.size(), false);
        T* dst = y + b * n * k;
        std::int64_t written = 0;
        for (std::size_t a = 0; a < order.size(); ++a) {
          if (removed[a]) continue;
          const double* kept = row(order[a]);
          for (std::size_t c = a + 1; c < order.size(); ++c) {
            const double* other = row(order[c]);
            const bool same_class = o.force_suppress || o.id_index < 0 || kept[o.id_index] == other[o.id_index];
            if (!removed[c] && same_class && iou_of(kept + o.coord_start, other + o.coord_start, in_center) > o.overlap_thresh) {
              removed[c] = true;
            }
          }
          std::vector<double> r(kept, kept + k);
          if (convert) {
            double* box = r.data() + o.coord_start;
            const double a0 = box[0], a1 = box[1], a2 = box[2], a3 = box[3];
            if (in_center) {
              box[0] = a0 - a2 / 2, box[1] = a1 - a3 / 2, box[2] = a0 + a2 / 2, box[3] = a1 + a3 / 2;
            } else {
              box[0] = (a0 + a2) / 2, box[1] = (a1 + a3) / 2, box[2] = a2 - a0, box[3] = a3 - a1;
            }
          }
          for (std::int64_t j = 0; j < k; ++j) dst[written * k + j] = static_cast<T>(r[static_cast<std::size_t>(j)]);
          ++written;
        }
        for (std::int64_t i = written * k; i < n * k; ++i) dst[i] = static_cast<T>(-1);
      }
    }, 1);
  });
}

void infer_nms(const NmsParams& p, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
  const BoxNmsOptions& o = p.options;
  const Shape& s = in[0].shape;
  if (s.ndim() < 2) throw ShapeError("box_nms: data must be (..., N, K), got " + s.str());
  const std::int64_t k = s[s.ndim() - 1];
  const bool fits = o.coord_start >= 0 && o.coord_start + 4 <= k && o.score_index >= 0 && o.score_index < k &&
                    o.id_index < k;
  if (!fits) {
    throw ShapeError("box_nms: rows of " + std::to_string(k) + " values cannot hold the score at " +
                     std::to_string(o.score_index) + ", the class at " + std::to_string(o.id_index) +
                     " and the coordinates from " + std::to_string(o.coord_start) + " (data " + s.str() + ")");
  }
  if (in[0].dtype != DType::kFloat32 && in[0].dtype != DType::kFloat64 && in[0].dtype != DType::kFloat16) {
    throw DTypeError("box_nms: data must be floating point, got " + std::string(dtype_name(in[0].dtype)));
  }
  out[0] = in[0];
}

const op::Operator<NmsParams> kBoxNms = op::define<NmsParams>({.name = "_contrib_box_nms", .infer = &infer_nms, .cpu = &nms_cpu});

}  // namespace

NDArray box_nms(const NDArray& data, const BoxNmsOptions& options) {
  check_format("box_nms", options.in_format);
  check_format("box_nms", options.out_format);
  return op::invoke1(kBoxNms, {data}, NmsParams{options}, data.context());
}

}  // namespace mx::nd::contrib
