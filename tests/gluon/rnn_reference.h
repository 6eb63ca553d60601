#pragma once
// The recurrent tests' reference: the published equations of RNN, LSTM (with MXNet's clip and projection) and
// GRU in plain float64 loops, MXNet's packing of a stack's parameters written out apart from the library's,
// and random stacks to run them on. Shared by rnn_test.cc (cells and layers) and rnn_operator_test.cc (the
// fused RNN operator).
#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <mx/mx.h>

namespace mx::test::rnn_reference {


inline double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

inline void set(gluon::Block& block, const std::string& name, const std::vector<double>& values, const Shape& shape) {
  block.collect_params()[name].set_data(nd::array(values, shape));
}

enum class Kind { kTanh, kRelu, kLSTM, kGRU };
inline int gates(Kind k) { return k == Kind::kLSTM ? 4 : k == Kind::kGRU ? 3 : 1; }

// The layer's weights and sizes, read from a block's parameters.
struct Reference {
  Kind kind;
  int layers, directions;
  std::int64_t hidden;
  std::vector<std::vector<double>> wi, wh, bi, bh;  // per layer and direction
  std::optional<std::pair<double, double>> clip = {};  // LSTM's cell state clipped to [first, second]
  std::int64_t projection = 0;                // LSTMP's P, 0 for none
  std::vector<std::vector<double>> wr = {};   // its (P, H) weights per layer and direction
};

inline Reference read_weights(Kind kind, gluon::Block& layer, int layers, int directions, std::int64_t hidden) {
  Reference r{kind, layers, directions, hidden, {}, {}, {}, {}};
  auto params = layer.collect_params();
  for (int l = 0; l < layers; ++l) {
    for (int d = 0; d < directions; ++d) {
      const std::string stem = (d == 0 ? "l" : "r") + std::to_string(l) + "_";
      r.wi.push_back(params[stem + "i2h_weight"].data().asnumpy<double>());
      r.wh.push_back(params[stem + "h2h_weight"].data().asnumpy<double>());
      r.bi.push_back(params[stem + "i2h_bias"].data().asnumpy<double>());
      r.bh.push_back(params[stem + "h2h_bias"].data().asnumpy<double>());
      if (params.contains(stem + "h2r_weight")) {
        r.wr.push_back(params[stem + "h2r_weight"].data().asnumpy<double>());
        r.projection = params[stem + "h2r_weight"].shape()[0];
      }
    }
  }
  return r;
}

// The equations in plain loops over time-major x (T, N, C). states: [h] or [h, c], each (L*D, N, H) flat, or
// empty for zeros. Returns the output (T, N, D*H) and fills `last` with the final states.
inline std::vector<double> reference_run(const Reference& r, std::vector<double> x, std::int64_t steps, std::int64_t batch,
                                  std::int64_t features, const std::vector<std::vector<double>>& states,
                                  std::vector<std::vector<double>>& last) {
  const std::int64_t H = r.hidden, G = gates(r.kind), R = r.projection > 0 ? r.projection : H;  // R: h's width
  const int count = r.kind == Kind::kLSTM ? 2 : 1;
  last.assign(static_cast<std::size_t>(count), {});
  last[0].resize(static_cast<std::size_t>(r.layers * r.directions * batch * R));
  if (count > 1) last[1].resize(static_cast<std::size_t>(r.layers * r.directions * batch * H));
  for (int l = 0; l < r.layers; ++l) {
    const std::int64_t in = l == 0 ? features : r.directions * R;
    std::vector<double> y(static_cast<std::size_t>(steps * batch * r.directions * R));
    for (int d = 0; d < r.directions; ++d) {
      const auto row = static_cast<std::size_t>(l * r.directions + d);
      const auto& wi = r.wi[row];
      const auto& wh = r.wh[row];
      for (std::int64_t n = 0; n < batch; ++n) {
        std::vector<double> h(static_cast<std::size_t>(R)), c(static_cast<std::size_t>(H));
        for (std::int64_t j = 0; j < R && !states.empty(); ++j) h[j] = states[0][(static_cast<std::int64_t>(row) * batch + n) * R + j];
        for (std::int64_t j = 0; j < H && states.size() > 1; ++j) c[j] = states[1][(static_cast<std::int64_t>(row) * batch + n) * H + j];
        for (std::int64_t s = 0; s < steps; ++s) {
          const std::int64_t t = d == 0 ? s : steps - 1 - s;
          std::vector<double> a(static_cast<std::size_t>(G * H)), b(static_cast<std::size_t>(G * H));
          for (std::int64_t g = 0; g < G * H; ++g) {
            a[g] = r.bi[row][g];
            for (std::int64_t k = 0; k < in; ++k) a[g] += wi[g * in + k] * x[(t * batch + n) * in + k];
            b[g] = r.bh[row][g];
            for (std::int64_t k = 0; k < R; ++k) b[g] += wh[g * R + k] * h[k];
          }
          std::vector<double> next(static_cast<std::size_t>(H));
          for (std::int64_t j = 0; j < H; ++j) {
            switch (r.kind) {
              case Kind::kTanh: next[j] = std::tanh(a[j] + b[j]); break;
              case Kind::kRelu: next[j] = std::max(0.0, a[j] + b[j]); break;
              case Kind::kLSTM: {
                const double i = sigmoid(a[j] + b[j]), f = sigmoid(a[H + j] + b[H + j]);
                const double g = std::tanh(a[2 * H + j] + b[2 * H + j]), o = sigmoid(a[3 * H + j] + b[3 * H + j]);
                c[j] = f * c[j] + i * g;
                if (r.clip) c[j] = std::clamp(c[j], r.clip->first, r.clip->second);
                next[j] = o * std::tanh(c[j]);
                break;
              }
              case Kind::kGRU: {
                const double reset = sigmoid(a[j] + b[j]), update = sigmoid(a[H + j] + b[H + j]);
                const double candidate = std::tanh(a[2 * H + j] + reset * b[2 * H + j]);
                next[j] = (1 - update) * candidate + update * h[j];
                break;
              }
            }
          }
          if (r.projection > 0) {  // h = W_h2r (o tanh(c))
            std::vector<double> projected(static_cast<std::size_t>(R));
            for (std::int64_t p = 0; p < R; ++p)
              for (std::int64_t j = 0; j < H; ++j) projected[p] += r.wr[row][p * H + j] * next[j];
            next = projected;
          }
          h = next;
          for (std::int64_t j = 0; j < R; ++j) y[((t * batch + n) * r.directions + d) * R + j] = h[j];
        }
        for (std::int64_t j = 0; j < R; ++j) last[0][(static_cast<std::int64_t>(row) * batch + n) * R + j] = h[j];
        for (std::int64_t j = 0; j < H && count > 1; ++j) last[1][(static_cast<std::int64_t>(row) * batch + n) * H + j] = c[j];
      }
    }
    x = std::move(y);
    features = r.directions * R;
  }
  return x;
}

// (N, T, C) values as (T, N, C).
inline std::vector<double> to_time_major(const std::vector<double>& v, std::int64_t batch, std::int64_t steps, std::int64_t c) {
  std::vector<double> out(v.size());
  for (std::int64_t n = 0; n < batch; ++n)
    for (std::int64_t t = 0; t < steps; ++t)
      for (std::int64_t k = 0; k < c; ++k) out[(t * batch + n) * c + k] = v[(n * steps + t) * c + k];
  return out;
}

// MXNet's packing of a stack's parameters, written out here apart from the library's: every weight, layer by
// layer and the forward direction first, i2h then h2h (then h2r with a projection); then every bias in the
// same order, i2h then h2h.
inline std::vector<double> pack(const Reference& r) {
  std::vector<double> flat;
  const auto append = [&](const std::vector<double>& v) { flat.insert(flat.end(), v.begin(), v.end()); };
  for (std::size_t row = 0; row < r.wi.size(); ++row) {
    append(r.wi[row]);
    append(r.wh[row]);
    if (r.projection > 0) append(r.wr[row]);
  }
  for (std::size_t row = 0; row < r.bi.size(); ++row) {
    append(r.bi[row]);
    append(r.bh[row]);
  }
  return flat;
}

inline std::vector<double> uniform_values(std::mt19937_64& rng, std::int64_t count, double bound) {
  std::uniform_real_distribution<double> value(-bound, bound);
  std::vector<double> v(static_cast<std::size_t>(count));
  for (double& x : v) x = value(rng);
  return v;
}

// Random weights for a stack of `layers` over input size `features`.
inline Reference random_stack(std::mt19937_64& rng, Kind kind, int layers, int directions, std::int64_t features,
                       std::int64_t hidden, std::int64_t projection = 0) {
  Reference r{kind, layers, directions, hidden, {}, {}, {}, {}};
  r.projection = projection;
  const std::int64_t rows = gates(kind) * hidden, width = projection > 0 ? projection : hidden;
  for (int l = 0; l < layers; ++l) {
    for (int d = 0; d < directions; ++d) {
      r.wi.push_back(uniform_values(rng, rows * (l == 0 ? features : directions * width), 0.8));
      r.wh.push_back(uniform_values(rng, rows * width, 0.8));
      if (projection > 0) r.wr.push_back(uniform_values(rng, projection * hidden, 0.8));
      r.bi.push_back(uniform_values(rng, rows, 0.5));
      r.bh.push_back(uniform_values(rng, rows, 0.5));
    }
  }
  return r;
}

inline gluon::rnn::RecurrentLayerOptions float64_options(int layers, bool bidirectional, std::string layout) {
  return {.num_layers = layers, .layout = std::move(layout), .bidirectional = bidirectional, .dtype = DType::kFloat64,
          .i2h_bias_initializer = init::Uniform(0.5), .h2h_bias_initializer = init::Uniform(0.5)};
}


}  // namespace mx::test::rnn_reference
