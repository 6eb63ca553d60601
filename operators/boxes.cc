// MXNet's contrib operators on boxes: overlaps, non-maximum suppression, masks, matching, and the offsets of
// boxes from anchors (box_encode, box_decode).
#include <mx/operators/detection.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <vector>

#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/indexing.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>
#include <mx/operators/shape_ops.h>

#include "detection_util.h"

namespace mx::nd::contrib {

using detail::center_of;
using detail::check_format;
using detail::corners_of;
using detail::dispatch_float;
using detail::iou_of;

namespace {

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
            const std::array<double, 4> converted = in_center ? corners_of(box) : center_of(box);
            std::copy(converted.begin(), converted.end(), box);
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

namespace {

struct MatchParams {
  double threshold = 0;
  bool is_ascend = false;
  int topk = -1;
};

const op::Operator<MatchParams> kBipartiteMatching = op::define<MatchParams>({
    .name = "_contrib_bipartite_matching",
    .num_outputs = 2,
    .infer = [](const MatchParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape& s = in[0].shape;
      if (s.ndim() < 2) throw ShapeError("bipartite_matching: data must be (..., N, M), got " + s.str());
      Shape rows, cols;
      for (int a = 0; a + 2 < s.ndim(); ++a) {
        rows.push_back(s[a]);
        cols.push_back(s[a]);
      }
      rows.push_back(s[s.ndim() - 2]);
      cols.push_back(s[s.ndim() - 1]);
      out[0] = {rows, in[0].dtype};
      out[1] = {cols, in[0].dtype};
    },
    .cpu = [](const MatchParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const Shape& s = in[0].shape;
      const std::int64_t n = s[s.ndim() - 2], m = s[s.ndim() - 1], batches = in[0].size() / std::max<std::int64_t>(n * m, 1);
      dispatch_dtype(in[0].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* x = in[0].ptr<T>();
        T* rows = out[0].ptr<T>();
        T* cols = out[1].ptr<T>();
        op::parallel_for(batches, [&](std::int64_t begin, std::int64_t end) {
          std::vector<std::int64_t> order(static_cast<std::size_t>(n * m));
          for (std::int64_t b = begin; b < end; ++b) {
            const T* scores = x + b * n * m;
            T* row = rows + b * n;
            T* col = cols + b * m;
            std::fill(row, row + n, static_cast<T>(-1));
            std::fill(col, col + m, static_cast<T>(-1));
            std::iota(order.begin(), order.end(), std::int64_t{0});
            std::stable_sort(order.begin(), order.end(), [&](std::int64_t u, std::int64_t v) {
              return p.is_ascend ? scores[u] < scores[v] : scores[u] > scores[v];
            });
            int matched = 0;
            for (std::int64_t k : order) {
              if (p.topk >= 0 && matched >= p.topk) break;
              const double score = static_cast<double>(scores[k]);
              if (p.is_ascend ? score > p.threshold : score < p.threshold) break;  // sorted: the rest fail too
              const std::int64_t i = k / m, j = k % m;
              if (row[i] != static_cast<T>(-1) || col[j] != static_cast<T>(-1)) continue;
              row[i] = static_cast<T>(j);
              col[j] = static_cast<T>(i);
              ++matched;
            }
          }
        }, 1);
      });
    },
});

}  // namespace

MatchResult bipartite_matching(const NDArray& data, double threshold, bool is_ascend, int topk) {
  std::vector<NDArray> outs(2);
  const NDArray in[] = {data};
  op::invoke(kBipartiteMatching, std::span<const NDArray>(in), MatchParams{threshold, is_ascend, topk}, std::span<NDArray>(outs),
             data.context());
  return {outs[0], outs[1]};
}

NDArray box_decode(const NDArray& data, const NDArray& anchors, std::vector<double> stds, double clip, const std::string& format) {
  check_format("box_decode", format);
  if (data.ndim() != 3 || data.shape()[2] != 4 || anchors.ndim() != 3 || anchors.shape()[0] != 1 ||
      anchors.shape()[1] != data.shape()[1] || anchors.shape()[2] != 4) {
    throw ShapeError("box_decode: data must be (B, N, 4) and anchors (1, N, 4), got " + data.shape().str() + " and " +
                     anchors.shape().str());
  }
  if (stds.size() != 4) throw Error("box_decode: stds takes four values, got " + std::to_string(stds.size()));
  auto column = [](const NDArray& x, int k) { return slice_axis(x, 2, k, k + 1); };
  NDArray ax = column(anchors, 0), ay = column(anchors, 1), aw = column(anchors, 2), ah = column(anchors, 3);
  if (format == "corner") {
    aw = aw - ax;
    ah = ah - ay;
    ax = ax + aw * 0.5;
    ay = ay + ah * 0.5;
  }
  const NDArray x = column(data, 0) * stds[0] * aw + ax, y = column(data, 1) * stds[1] * ah + ay;
  NDArray dw = column(data, 2) * stds[2], dh = column(data, 3) * stds[3];
  if (clip > 0) {
    dw = minimum(dw, clip);
    dh = minimum(dh, clip);
  }
  const NDArray half_w = exp(dw) * aw * 0.5, half_h = exp(dh) * ah * 0.5;
  return concat({x - half_w, y - half_h, x + half_w, y + half_h}, 2);
}

namespace {

// A small index or flag array's values, whatever its dtype.
std::vector<double> blob_values(const Blob& blob) {
  std::vector<double> values(static_cast<std::size_t>(blob.size()));
  dispatch_dtype(blob.dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* p = blob.ptr<T>();
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = static_cast<double>(p[i]);
  });
  return values;
}

struct EncodeParams {
  std::array<double, 4> means{}, stds{};
};

const op::Operator<EncodeParams> kBoxEncode = op::define<EncodeParams>({
    .name = "_contrib_box_encode",
    .num_inputs = 4,
    .num_outputs = 2,
    .infer = [](const EncodeParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) {
      const Shape &samples = in[0].shape, &matches = in[1].shape, &anchors = in[2].shape, &refs = in[3].shape;
      const bool fits = samples.ndim() == 2 && matches == samples && anchors.ndim() == 3 && anchors[0] == samples[0] &&
                        anchors[1] == samples[1] && anchors[2] == 4 && refs.ndim() == 3 && refs[0] == samples[0] &&
                        refs[2] == 4;
      if (!fits) {
        throw ShapeError("box_encode: samples and matches (B, N), anchors (B, N, 4) and refs (B, M, 4) do not fit: " +
                         samples.str() + ", " + matches.str() + ", " + anchors.str() + ", " + refs.str());
      }
      if (in[2].dtype != in[3].dtype || (in[2].dtype != DType::kFloat32 && in[2].dtype != DType::kFloat64)) {
        throw DTypeError("box_encode: anchors and refs must be float32 or float64 alike");
      }
      out[0] = out[1] = {anchors, in[2].dtype};
    },
    .cpu = [](const EncodeParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
      const std::int64_t batches = in[2].shape[0], n = in[2].shape[1], m = in[3].shape[1];
      const std::vector<double> samples = blob_values(in[0]), matches = blob_values(in[1]);
      dispatch_float(in[2].dtype, [&](auto tag) {
        using T = decltype(tag);
        const T* anchors = in[2].ptr<T>();
        const T* refs = in[3].ptr<T>();
        T* targets = out[0].ptr<T>();
        T* masks = out[1].ptr<T>();
        for (std::int64_t b = 0; b < batches; ++b) {
          for (std::int64_t i = 0; i < n; ++i) {
            const std::int64_t at = b * n + i;
            T* t = targets + at * 4;
            T* mask = masks + at * 4;
            const auto match = static_cast<std::int64_t>(matches[static_cast<std::size_t>(at)]);
            if (samples[static_cast<std::size_t>(at)] <= 0.5 || match < 0) {
              std::fill(t, t + 4, T{0});
              std::fill(mask, mask + 4, T{0});
              continue;
            }
            if (match >= m) throw Error("box_encode: anchor " + std::to_string(i) + " matches reference " + std::to_string(match) + " of " + std::to_string(m));
            const std::array<double, 4> a = center_of(anchors + at * 4), g = center_of(refs + (b * m + match) * 4);
            const double raw[4] = {(g[0] - a[0]) / a[2], (g[1] - a[1]) / a[3], std::log(g[2] / a[2]), std::log(g[3] / a[3])};
            for (int k = 0; k < 4; ++k) {
              t[k] = static_cast<T>((raw[k] - p.means[static_cast<std::size_t>(k)]) / p.stds[static_cast<std::size_t>(k)]);
              mask[k] = T{1};
            }
          }
        }
      });
    },
});

}  // namespace

EncodedBoxes box_encode(const NDArray& samples, const NDArray& matches, const NDArray& anchors, const NDArray& refs,
                        std::vector<double> means, std::vector<double> stds) {
  if (means.size() != 4 || stds.size() != 4) throw Error("box_encode: means and stds take four values each");
  EncodeParams p;
  std::copy(means.begin(), means.end(), p.means.begin());
  std::copy(stds.begin(), stds.end(), p.stds.begin());
  std::vector<NDArray> outs(2);
  const NDArray in[] = {samples, matches, anchors, refs};
  op::invoke(kBoxEncode, std::span<const NDArray>(in), p, std::span<NDArray>(outs), anchors.context());
  return {outs[0], outs[1]};
}

}  // namespace mx::nd::contrib
