// clip, one_hot, pick, softmax, log_softmax and softmax_cross_entropy against hand-computed values.
#include <cmath>

#include "test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
using test::check_array;

TEST_CASE("clip limits values", "[operators][nn]") {
  check_array(nd::array({-2, 0.5, 3}).clip(-1, 1), {3}, {-1, 0.5, 1});
  CHECK_THROWS_WITH(nd::clip(nd::ones({1}), 2, 1), Contains("clip"));
}

TEST_CASE("one_hot and pick", "[operators][nn]") {
  check_array(nd::one_hot(nd::array({0, 2, 5}), 3), {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
  check_array(nd::array({1}).one_hot(2, 5, -1), {1, 2}, {-1, 5});
  NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  check_array(nd::pick(x, nd::array({2, 0})), {2}, {3, 4});
  check_array(nd::pick(x, nd::array({1, 1, 0}), 0), {3}, {4, 5, 3});
  check_array(nd::pick(x, nd::array({9, -3}), 1, true), {2, 1}, {3, 4});  // clipped into range
  check_array(nd::pick(x, nd::array({NAN, 1e30}), 1), {2}, {1, 6});  // NaN as 0, beyond int64 clipped
  CHECK_THROWS_WITH(nd::pick(x, nd::array({1, 2, 3})), Contains("pick") && Contains("(3,)"));
}

TEST_CASE("softmax and log_softmax are stable for large inputs", "[operators][nn]") {
  const double e = std::exp(1.0);
  NDArray x = nd::array({0, 1, 1000, 1001}, Shape{2, 2});
  check_array(x.softmax(), {2, 2}, {1 / (1 + e), e / (1 + e), 1 / (1 + e), e / (1 + e)});
  check_array(x.log_softmax(), {2, 2},
              {-std::log(1 + e), 1 - std::log(1 + e), -std::log(1 + e), 1 - std::log(1 + e)});
  check_array(nd::softmax(nd::array({0, 0, 1, 1}, Shape{2, 2}), 0), {2, 2},
              {1 / (1 + e), 1 / (1 + e), e / (1 + e), e / (1 + e)});
  CHECK_THROWS_AS(nd::softmax(nd::ones({2}, cpu(), DType::kInt32)), DTypeError);
}

TEST_CASE("softmax_cross_entropy sums -log softmax at the labels", "[operators][nn]") {
  NDArray logits = nd::array({0, 0, 0, 1, 2, 3}, Shape{2, 3});
  const double row0 = std::log(3.0), row1 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  check_array(nd::softmax_cross_entropy(logits, nd::array({1, 2})), {1}, {row0 + row1});
  CHECK_THROWS_WITH(nd::softmax_cross_entropy(logits, nd::array({1})),
                    Contains("softmax_cross_entropy") && Contains("(2, 3)") && Contains("(1,)"));
}

TEST_CASE("Dropout drops in training mode only and scales what it keeps", "[operators][nn][dropout]") {
  NDArray x = nd::ones({100000});
  CHECK(nd::Dropout(x, 0.3).shares_storage_with(x));  // predict mode: x itself
  NDArray y;
  {
    autograd::train_mode t;
    y = nd::Dropout(x, 0.3);
  }
  const std::vector<double> v = y.asnumpy<double>();
  std::size_t zeros = 0;
  for (double e : v) {
    if (e == 0) ++zeros;
    else CHECK(e == Approx(1 / 0.7));
  }
  CHECK(static_cast<double>(zeros) / static_cast<double>(v.size()) == Approx(0.3).margin(0.01));
  CHECK(nd::Dropout(x, 0.3, nd::DropoutMode::kAlways).asnumpy<double>() != v);  // a fresh mask each call
  CHECK_THROWS_WITH(nd::Dropout(x, 1.0), Contains("Dropout") && Contains("[0, 1)"));
}

TEST_CASE("Dropout's gradient reuses the forward mask", "[operators][nn][dropout]") {
  NDArray x = nd::random::uniform(1, 2, {1000});
  x.attach_grad();
  NDArray y;
  {
    autograd::record r;  // training mode
    y = nd::Dropout(x, 0.5);
  }
  y.backward();
  const std::vector<double> out = y.asnumpy<double>(), in = x.asnumpy<double>(), grad = x.grad().asnumpy<double>();
  for (std::size_t i = 0; i < out.size(); ++i) CHECK(grad[i] == Approx(out[i] / in[i]));  // 0 or 2, as kept
}

TEST_CASE("Dropout along axes shares one draw over them, as MXNet's", "[operators][nn][dropout]") {
  // (N, T, C) with axes {1}: the same units dropped at every step (variational dropout); negative axes count back.
  NDArray x = nd::random::uniform(1, 2, {40, 6, 30});
  for (const std::vector<int>& axes : {std::vector<int>{1}, std::vector<int>{-2}}) {
    x.attach_grad();
    NDArray y;
    {
      autograd::record r;
      y = nd::Dropout(x, 0.5, nd::DropoutMode::kTraining, axes);
    }
    y.backward();
    const std::vector<double> in = x.asnumpy<double>(), out = y.asnumpy<double>(), grad = x.grad().asnumpy<double>();
    std::size_t dropped = 0;
    for (std::size_t n = 0; n < 40; ++n) {
      for (std::size_t c = 0; c < 30; ++c) {
        const double kept = out[n * 180 + c] / in[n * 180 + c];  // 0 or 2 at step 0
        CHECK((kept == 0 || kept == Approx(2)));
        dropped += kept == 0;
        for (std::size_t t = 1; t < 6; ++t) {
          const std::size_t i = n * 180 + t * 30 + c;
          CHECK(out[i] == Approx(kept * in[i]));
          CHECK(grad[i] == Approx(kept));
        }
      }
    }
    CHECK(dropped > 500);
    CHECK(dropped < 700);
  }
  // By name from MXNet's attributes, and the node written with them.
  autograd::train_mode t;
  const NDArray y = op::call_symbol_op("Dropout", {{"p", "0.5"}, {"axes", "(0, 2)"}}, std::vector<NDArray>{nd::ones({3, 4, 5})}).at(0);
  const std::vector<double> v = y.asnumpy<double>();
  for (std::size_t i = 0; i < v.size(); ++i) CHECK(v[i] == v[(i / 5) % 4 * 5]);  // one value per index of axis 1
  CHECK_THROWS_WITH(nd::Dropout(x, 0.5, nd::DropoutMode::kAlways, {3}), Contains("Dropout"));
}

TEST_CASE("Activation and LeakyReLU name their bad arguments", "[operators][nn][errors]") {
  NDArray x = nd::ones({2, 3});
  CHECK_THROWS_WITH(nd::Activation(x, "swish"), Contains("Activation") && Contains("swish"));
  CHECK_THROWS_WITH(nd::LeakyReLU(x, "rrelu"), Contains("rrelu"));
  CHECK_THROWS_WITH(nd::LeakyReLU(x, "prelu"), Contains("gamma"));
  CHECK_THROWS_WITH(nd::LeakyReLU(x, "prelu", 0, nd::ones({2})), Contains("(2, 3)") && Contains("(2,)"));
  check_array(nd::Activation(nd::array({-1, 0, 2}), "relu"), {3}, {0, 0, 2});
}

TEST_CASE("Convolution and Pooling check shapes, groups and dtypes at the call", "[operators][nn][conv][errors]") {
  NDArray x = nd::zeros({2, 4, 5, 5});
  CHECK_THROWS_WITH(nd::Convolution(x, nd::zeros({3, 4, 3}), std::nullopt, {{3, 3}}, 3),
                    Contains("Convolution") && Contains("(3, 4, 3, 3)"));
  CHECK_THROWS_WITH(nd::Convolution(x, nd::zeros({3, 2, 3, 3}), std::nullopt, {{3, 3}}, 3, 2), Contains("groups"));
  CHECK_THROWS_WITH(nd::Convolution(x, nd::zeros({3, 4, 7, 7}), std::nullopt, {{7, 7}}, 3),
                    Contains("kernel spans 7"));
  CHECK_THROWS_WITH(nd::Convolution(x, nd::zeros({3, 4, 3, 3}), nd::zeros({4}), {{3, 3}}, 3), Contains("bias"));
  CHECK_THROWS_WITH(nd::Convolution(x, nd::zeros({3, 4, 3, 3}), std::nullopt, {{3, 3}, {1}}, 3),
                    Contains("stride has 1 values for 2 spatial axes"));
  NDArray half = nd::zeros({1, 1, 4, 4}, cpu(), DType::kFloat16);
  CHECK_THROWS_AS(nd::Convolution(half, nd::zeros({1, 1, 2, 2}, cpu(), DType::kFloat16), std::nullopt, {{2, 2}}, 1),
                  DTypeError);
  CHECK_THROWS_WITH(nd::Pooling(nd::zeros({2, 3}), {{2}}), Contains("Pooling") && Contains("(2, 3)"));
  CHECK(nd::Convolution(x, nd::ones({3, 4, 3, 3}), std::nullopt, {{3, 3}, {2, 2}, {}, {1, 1}}, 3).shape() ==
        Shape{2, 3, 3, 3});
}

TEST_CASE("BatchNorm uses batch statistics in training and updates the moving ones", "[operators][nn][norm]") {
  NDArray x = nd::array({1, 2, 3, 5, 7, 9}, Shape{3, 2});  // channel 0: 1, 3, 7; channel 1: 2, 5, 9
  NDArray gamma = nd::array({2, 1}), beta = nd::array({0, 1});
  NDArray moving_mean = nd::zeros({2}), moving_var = nd::ones({2});
  NDArray y;
  {
    autograd::train_mode t;
    y = nd::BatchNorm(x, gamma, beta, moving_mean, moving_var, {.eps = 0, .momentum = 0.5, .fix_gamma = false});
  }
  const double m0 = 11.0 / 3, v0 = ((1 - m0) * (1 - m0) + (3 - m0) * (3 - m0) + (7 - m0) * (7 - m0)) / 3;
  const double m1 = 16.0 / 3, v1 = ((2 - m1) * (2 - m1) + (5 - m1) * (5 - m1) + (9 - m1) * (9 - m1)) / 3;
  check_array(y, {3, 2},
              {2 * (1 - m0) / std::sqrt(v0), (2 - m1) / std::sqrt(v1) + 1, 2 * (3 - m0) / std::sqrt(v0),
               (5 - m1) / std::sqrt(v1) + 1, 2 * (7 - m0) / std::sqrt(v0), (9 - m1) / std::sqrt(v1) + 1});
  check_array(moving_mean, {2}, {m0 / 2, m1 / 2});
  check_array(moving_var, {2}, {0.5 + v0 / 2, 0.5 + v1 / 2});
  // Predict mode: the moving statistics, and fix_gamma (MXNet's default) takes gamma as 1.
  check_array(nd::BatchNorm(x, gamma, beta, moving_mean, moving_var, {.eps = 0}).slice(0, 1), {1, 2},
              {(1 - m0 / 2) / std::sqrt(0.5 + v0 / 2), (2 - m1 / 2) / std::sqrt(0.5 + v1 / 2) + 1});
  CHECK_THROWS_WITH(nd::BatchNorm(x, nd::ones({3}), beta, moving_mean, moving_var), Contains("gamma") &&
                                                                                       Contains("(2,)"));
}

TEST_CASE("BatchNorm's gradients in training are the batch statistics' own, and refuse second order",
          "[operators][nn][norm]") {
  NDArray x = nd::array({1, 2, 3, 5, 7, 9}, Shape{3, 2});  // channel 0: 1, 3, 7 (M = 3 values)
  NDArray gamma = nd::array({2, 1}), beta = nd::array({0, 1});
  NDArray moving_mean = nd::zeros({2}), moving_var = nd::ones({2});
  for (NDArray* p : {&x, &gamma, &beta}) p->attach_grad();
  const nd::BatchNormOptions options{.eps = 0, .fix_gamma = false};
  NDArray y;
  {
    autograd::record r;
    y = nd::BatchNorm(x, gamma, beta, moving_mean, moving_var, options);
  }
  y.backward(nd::array({1, 0, 0, 0, 0, 0}, Shape{3, 2}));  // dy: 1 at the first value of channel 0
  // With xhat = (x - mean) / std: dbeta = sum(dy), dgamma = sum(dy xhat), dx = gamma / std (dy - dbeta / M -
  // xhat dgamma / M); channel 1 has no gradient.
  const double m0 = 11.0 / 3, v0 = ((1 - m0) * (1 - m0) + (3 - m0) * (3 - m0) + (7 - m0) * (7 - m0)) / 3;
  const double inv = 1 / std::sqrt(v0), h0 = (1 - m0) * inv, h1 = (3 - m0) * inv, h2 = (7 - m0) * inv;
  check_array(x.grad(), {3, 2}, {2 * inv * (1 - 1.0 / 3 - h0 * h0 / 3), 0, 2 * inv * (-1.0 / 3 - h1 * h0 / 3), 0,
                                 2 * inv * (-1.0 / 3 - h2 * h0 / 3), 0});
  check_array(gamma.grad(), {2}, {h0, 0});
  check_array(beta.grad(), {2}, {1, 0});
  NDArray dx_sum;
  {
    autograd::record r;
    const NDArray out = nd::BatchNorm(x, gamma, beta, moving_mean, moving_var, options);
    dx_sum = autograd::grad({(out * x).sum()}, {x}, {}, /*create_graph=*/true)[0].sum();
  }
  CHECK_THROWS_WITH(dx_sum.backward(), Contains("BatchNorm") && Contains("second-order"));
}

TEST_CASE("SoftmaxOutput's gradient is softmax minus the label, whatever the head gradient", "[operators][nn]") {
  NDArray data = nd::array({0, 1, 2, 0, 0, 0}, Shape{2, 3});
  data.attach_grad();
  NDArray out;
  {
    autograd::record r;
    out = nd::SoftmaxOutput(data, nd::array({2, 0}), {.grad_scale = 2, .normalize_by_batch = true});
  }
  out.backward(nd::full({2, 3}, 7));  // ignored, as MXNet's loss layers ignore it
  const double e = std::exp(1.0), z = 1 + e + e * e;
  check_array(out, {2, 3}, {1 / z, e / z, e * e / z, 1.0 / 3, 1.0 / 3, 1.0 / 3});
  check_array(data.grad(), {2, 3}, {1 / z, e / z, e * e / z - 1, 1.0 / 3 - 1, 1.0 / 3, 1.0 / 3});
  CHECK_THROWS_WITH(nd::SoftmaxOutput(data, nd::array({1})), Contains("SoftmaxOutput") && Contains("(2,)"));
}

// im2col's columns and col2im's sums worked out pixel by pixel: for patch row (c, kh, kw) and output position
// (n, oh, ow), the input pixel at (oh * stride - pad + kh * dilate, ...) or the fill outside the image.
TEST_CASE("im2col and col2im over two axes match a pixel-by-pixel reference", "[operators][nn][conv]") {
  struct Case {
    nd::ConvShape shape;
    std::vector<std::int64_t> pad_end;
  };
  const std::int64_t N = 3, C = 2, H = 7, W = 6;
  for (const Case& c : {Case{{{3, 3}, {1, 1}, {}, {1, 1}}, {}}, Case{{{2, 3}, {2, 1}, {1, 2}, {1, 0}}, {0, 1}},
                        Case{{{5, 5}, {}, {}, {}}, {}}, Case{{{2, 2}, {2, 2}, {}, {}}, {1, 0}},
                        Case{{{3, 2}, {3, 2}, {2, 1}, {2, 1}}, {}}}) {
    const auto at = [](const std::vector<std::int64_t>& v, int a, std::int64_t fallback) {
      return v.empty() ? fallback : v[static_cast<std::size_t>(a)];
    };
    const std::int64_t K[2] = {c.shape.kernel[0], c.shape.kernel[1]};
    std::int64_t S[2], D[2], P[2], E[2], in[2] = {H, W}, out[2];
    for (int a = 0; a < 2; ++a) {
      S[a] = at(c.shape.stride, a, 1);
      D[a] = at(c.shape.dilate, a, 1);
      P[a] = at(c.shape.pad, a, 0);
      E[a] = at(c.pad_end, a, 0);
      out[a] = (in[a] + 2 * P[a] + E[a] - D[a] * (K[a] - 1) - 1) / S[a] + 1;
    }
    CAPTURE(K[0], K[1], S[0], S[1], D[0], D[1], P[0], P[1], E[0], E[1]);
    std::vector<double> image(static_cast<std::size_t>(N * C * H * W));
    for (std::size_t i = 0; i < image.size(); ++i) image[i] = static_cast<double>(i % 97) - 40;
    const std::int64_t rows = C * K[0] * K[1], width = N * out[0] * out[1];
    std::vector<double> columns(static_cast<std::size_t>(rows * width));
    for (std::size_t i = 0; i < columns.size(); ++i) columns[i] = static_cast<double>(i % 89) - 30;
    std::vector<double> want_columns(columns.size()), want_image(image.size(), 0.0);
    for (std::int64_t ch = 0; ch < C; ++ch)
      for (std::int64_t kh = 0; kh < K[0]; ++kh)
        for (std::int64_t kw = 0; kw < K[1]; ++kw)
          for (std::int64_t n = 0; n < N; ++n)
            for (std::int64_t oh = 0; oh < out[0]; ++oh)
              for (std::int64_t ow = 0; ow < out[1]; ++ow) {
                const std::int64_t row = (ch * K[0] + kh) * K[1] + kw, col = (n * out[0] + oh) * out[1] + ow;
                const std::int64_t ih = oh * S[0] - P[0] + kh * D[0], iw = ow * S[1] - P[1] + kw * D[1];
                const auto entry = static_cast<std::size_t>(row * width + col);
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) {
                  want_columns[entry] = -7;  // the fill
                  continue;
                }
                const auto pixel = static_cast<std::size_t>(((n * C + ch) * H + ih) * W + iw);
                want_columns[entry] = image[pixel];
                want_image[pixel] += columns[entry];
              }
    const NDArray x = nd::array(image, Shape{N, C, H, W}).astype(DType::kFloat32);
    CHECK(nd::im2col(x, c.shape, c.pad_end, -7).asnumpy<double>() == want_columns);
    const NDArray cols = nd::array(columns, Shape{rows, width}).astype(DType::kFloat32);
    CHECK(nd::col2im(cols, Shape{N, C, H, W}, c.shape, c.pad_end).asnumpy<double>() == want_image);
  }
}

// Two-dimensional pooling against its definition in loops: each window clipped to the image (padding never
// wins a max and, with count_include_pad false, is not counted), max's gradient to the window's first largest
// pixel, the average's spread evenly, the full convention's last window hanging over the edge.
TEST_CASE("two-dimensional pooling and its gradients match the definition in loops", "[operators][nn][pool]") {
  struct Case {
    nd::ConvShape window;
    nd::PoolOptions options;
  };
  const std::int64_t N = 2, C = 3, H = 7, W = 6;
  for (const Case& c :
       {Case{{{2, 2}, {2, 2}}, {}}, Case{{{3, 2}, {2, 1}, {}, {1, 1}}, {}},
        Case{{{3, 3}, {2, 2}}, {.convention = nd::PoolingConvention::kFull}},
        Case{{{3, 3}, {2, 2}, {}, {1, 1}}, {.type = nd::PoolType::kAvg}},
        Case{{{3, 3}, {2, 2}, {}, {1, 1}}, {.type = nd::PoolType::kAvg, .count_include_pad = false}},
        Case{{{2, 3}, {1, 2}}, {.type = nd::PoolType::kSum, .convention = nd::PoolingConvention::kFull}}}) {
    const std::int64_t KH = c.window.kernel[0], KW = c.window.kernel[1];
    const std::int64_t sh = c.window.stride[0], sw = c.window.stride[1];
    const std::int64_t ph = c.window.pad.empty() ? 0 : c.window.pad[0], pw = c.window.pad.empty() ? 0 : c.window.pad[1];
    const bool full = c.options.convention == nd::PoolingConvention::kFull;
    const auto out_size = [&](std::int64_t in, std::int64_t k, std::int64_t s, std::int64_t p) {
      return full ? (in + 2 * p - k + s - 1) / s + 1 : (in + 2 * p - k) / s + 1;
    };
    const std::int64_t OH = out_size(H, KH, sh, ph), OW = out_size(W, KW, sw, pw);
    CAPTURE(KH, KW, sh, sw, ph, pw, full, static_cast<int>(c.options.type), c.options.count_include_pad);
    // Values with ties (i % 5): a window's first largest pixel must be the one that receives its gradient.
    std::vector<double> x(static_cast<std::size_t>(N * C * H * W)), head(static_cast<std::size_t>(N * C * OH * OW));
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>((i * 7) % 5) - 2;
    for (std::size_t i = 0; i < head.size(); ++i) head[i] = static_cast<double>(i % 11) / 4 - 1;
    std::vector<double> y(head.size()), dx(x.size(), 0.0);
    for (std::int64_t plane = 0; plane < N * C; ++plane)
      for (std::int64_t oh = 0; oh < OH; ++oh)
        for (std::int64_t ow = 0; ow < OW; ++ow) {
          const auto out = static_cast<std::size_t>((plane * OH + oh) * OW + ow);
          double best = -INFINITY, total = 0;
          std::int64_t best_at = -1, covered = 0;
          for (std::int64_t kh = 0; kh < KH; ++kh)
            for (std::int64_t kw = 0; kw < KW; ++kw) {
              const std::int64_t ih = oh * sh - ph + kh, iw = ow * sw - pw + kw;
              if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
              const std::int64_t at = (plane * H + ih) * W + iw;
              const double v = x[static_cast<std::size_t>(at)];
              if (v > best) {
                best = v;
                best_at = at;
              }
              total += v;
              ++covered;
            }
          if (c.options.type == nd::PoolType::kMax) {
            y[out] = best;
            dx[static_cast<std::size_t>(best_at)] += head[out];
            continue;
          }
          const double divisor = c.options.type == nd::PoolType::kSum ? 1.0
                                 : c.options.count_include_pad        ? static_cast<double>(KH * KW)
                                                                      : static_cast<double>(covered);
          y[out] = total / divisor;
          for (std::int64_t kh = 0; kh < KH; ++kh)
            for (std::int64_t kw = 0; kw < KW; ++kw) {
              const std::int64_t ih = oh * sh - ph + kh, iw = ow * sw - pw + kw;
              if (ih >= 0 && ih < H && iw >= 0 && iw < W) dx[static_cast<std::size_t>((plane * H + ih) * W + iw)] += head[out] / divisor;
            }
        }
    for (const DType dtype : {DType::kFloat64, DType::kFloat32}) {
      NDArray data = nd::array(x, Shape{N, C, H, W}).astype(dtype);
      data.attach_grad();
      NDArray out;
      {
        autograd::record r;
        out = nd::Pooling(data, c.window, c.options);
      }
      out.backward(nd::array(head, out.shape()).astype(dtype));
      check_array(out, {N, C, OH, OW}, y, 1e-6);
      check_array(data.grad(), data.shape(), dx, 1e-6);
    }
  }
}
