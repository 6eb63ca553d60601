// Gradient compression: the quantize and dequantize operators against codes and residuals worked out by hand,
// the device store and the Trainer summing compressed gradients of cpu(0) and cpu(1), and the refusals.
#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <vector>

#include <mx/mx.h>

using namespace mx;

namespace {

// The codes' bytes in memory order (the words are little-endian on every machine we build for).
std::vector<std::uint8_t> bytes_of(const NDArray& codes) {
  std::vector<std::uint8_t> bytes;
  for (std::int32_t word : codes.asnumpy<std::int32_t>()) {
    for (int b = 0; b < 4; ++b) bytes.push_back(static_cast<std::uint8_t>((static_cast<std::uint32_t>(word) >> (8 * b)) & 0xff));
  }
  return bytes;
}

// 18 elements: two words of 2bit codes, the second holding two.
std::vector<float> gradient_18() {
  std::vector<float> g(18, 0.0f);
  const float head[] = {0.75f, -0.75f, 0.25f, -0.25f, 1.5f, -0.5f, 0.5f, 0.0f};
  std::copy(std::begin(head), std::end(head), g.begin());
  g[17] = -2.0f;
  return g;
}

std::vector<float> with_tail(std::vector<float> head, float last) {
  head.resize(17, 0.0f);
  head.push_back(last);
  return head;
}

}  // namespace

TEST_CASE("2bit quantization sends +-threshold or 0 and keeps the rest as the residual, in MXNet's bit layout") {
  const auto type = nd::CompressionType::kTwoBit;
  REQUIRE(nd::compressed_size(type, 18) == 2);
  REQUIRE(nd::compressed_size(type, 16) == 1);
  const NDArray grad = nd::array(gradient_18(), Shape{18});
  NDArray residual = nd::zeros({18});
  NDArray first = NDArray(Shape{2}, cpu(), DType::kInt32), second = NDArray(Shape{2}, cpu(), DType::kInt32);

  nd::quantize_gradient(type, 0.5f, grad, residual, first);
  // By hand: 0.75 -> +0.5 (11, 0.25 left), -0.75 -> -0.5 (10), 0.25 and -0.25 -> 0 (00): 1110 0000 = 0xE0;
  // 1.5 -> +0.5 (1.0 left), -0.5 -> -0.5, 0.5 -> +0.5, 0 -> 0: 1110 1100 = 0xEC; element 17, -2 -> -0.5, in
  // the second word's first byte at bits 5-4: 0010 0000 = 0x20.
  CHECK(bytes_of(first) == std::vector<std::uint8_t>{0xE0, 0xEC, 0, 0, 0x20, 0, 0, 0});
  CHECK(residual.asnumpy<float>() == with_tail({0.25f, -0.25f, 0.25f, -0.25f, 1.0f, 0, 0, 0}, -1.5f));
  NDArray decoded = nd::zeros({18});
  nd::dequantize_sum(type, 0.5f, std::vector<NDArray>{first}, decoded);
  CHECK(decoded.asnumpy<float>() == with_tail({0.5f, -0.5f, 0, 0, 0.5f, -0.5f, 0.5f, 0}, -0.5f));

  // The same gradient again adds to the residual: 1.0, -1.0, 0.5, -0.5, 2.5, -0.5, 0.5, 0, ..., -3.5.
  nd::quantize_gradient(type, 0.5f, grad, residual, second);
  CHECK(residual.asnumpy<float>() == with_tail({0.5f, -0.5f, 0, 0, 2.0f, 0, 0, 0}, -3.0f));
  nd::dequantize_sum(type, 0.5f, std::vector<NDArray>{second}, decoded);
  CHECK(decoded.asnumpy<float>() == with_tail({0.5f, -0.5f, 0.5f, -0.5f, 0.5f, -0.5f, 0.5f, 0}, -0.5f));

  // The sum of both, as two arrays and as the rows of one (a worker's codes per row).
  const std::vector<float> both = with_tail({1.0f, -1.0f, 0.5f, -0.5f, 1.0f, -1.0f, 1.0f, 0}, -1.0f);
  nd::dequantize_sum(type, 0.5f, std::vector<NDArray>{first, second}, decoded);
  CHECK(decoded.asnumpy<float>() == both);
  const NDArray rows = nd::stack({first, second});
  nd::dequantize_sum(type, 0.5f, std::vector<NDArray>{rows}, decoded);
  CHECK(decoded.asnumpy<float>() == both);
}

TEST_CASE("1bit quantization sends +1 above the threshold and -1 elsewhere, the residual moving by 1") {
  const auto type = nd::CompressionType::kOneBit;
  const std::vector<float> g = {0.25f, -0.25f, 0.0f, 2.0f, -1.0f, 0.5f, 0.5f, 0.5f, 0.75f};
  REQUIRE(nd::compressed_size(type, 9) == 1);
  REQUIRE(nd::compressed_size(type, 33) == 2);
  NDArray residual = nd::zeros({9}), codes = NDArray(Shape{1}, cpu(), DType::kInt32);
  nd::quantize_gradient(type, 0.0f, nd::array(g, Shape{9}), residual, codes);
  // By hand, threshold 0: + - - + - + + + in the first byte (1001 0111 = 0x97), + in the second's high bit.
  CHECK(bytes_of(codes) == std::vector<std::uint8_t>{0x97, 0x80, 0, 0});
  CHECK(residual.asnumpy<float>() == std::vector<float>{-0.75f, 0.75f, 1.0f, 1.0f, 0.0f, -0.5f, -0.5f, -0.5f, -0.25f});
  NDArray decoded = nd::zeros({9});
  nd::dequantize_sum(type, 0.0f, std::vector<NDArray>{codes}, decoded);
  CHECK(decoded.asnumpy<float>() == std::vector<float>{1, -1, -1, 1, -1, 1, 1, 1, 1});
  // With threshold 1, 2.0 alone is sent as +1 (residual 1.0 + 2.0 = 3.0 > 1).
  NDArray again = NDArray(Shape{1}, cpu(), DType::kInt32);
  nd::quantize_gradient(type, 1.0f, nd::array(g, Shape{9}), residual, again);
  CHECK(bytes_of(again) == std::vector<std::uint8_t>{0x10, 0, 0, 0});
}

TEST_CASE("the compression operators name themselves and the shapes on bad input") {
  NDArray residual = nd::zeros({4}), codes = NDArray(Shape{1}, cpu(), DType::kInt32);
  CHECK_THROWS_WITH(nd::quantize_gradient(nd::CompressionType::kTwoBit, 0.5f, nd::zeros({4}, cpu(), DType::kFloat64), residual, codes),
                    Catch::Contains("_quantize_gradient") && Catch::Contains("float64"));
  CHECK_THROWS_WITH(nd::quantize_gradient(nd::CompressionType::kTwoBit, 0.5f, nd::zeros({5}), residual, codes),
                    Catch::Contains("_quantize_gradient") && Catch::Contains("(4,)") && Catch::Contains("(5,)"));
  NDArray out = nd::zeros({40});  // 40 elements need 3 words of 2bit codes
  CHECK_THROWS_WITH(nd::dequantize_sum(nd::CompressionType::kTwoBit, 0.5f, std::vector<NDArray>{codes}, out),
                    Catch::Contains("_dequantize_sum") && Catch::Contains("(40,)") && Catch::Contains("(1,)"));
  CHECK_THROWS_WITH(nd::compression_type("3bit"), Catch::Contains("3bit") && Catch::Contains("2bit"));
}

TEST_CASE("the device store sums each context's quantized gradient and keeps a residual per context") {
  auto kv = kvstore::create("device");
  kv->init("w", nd::zeros({4}));
  kv->set_gradient_compression({.type = "2bit", .threshold = 0.5});
  REQUIRE(kv->gradient_compression()->type == "2bit");
  const std::vector<NDArray> grads = {nd::array({0.75f, -0.25f, 0.25f, 0.0f}, Shape{4}, cpu(0)),
                                      nd::array({0.5f, -0.5f, 0.25f, 1.0f}, Shape{4}, cpu(1))};
  std::vector<NDArray> outs = {nd::zeros({4}, cpu(0)), nd::zeros({4}, cpu(1))};
  // By hand: cpu(0) sends (0.5, 0, 0, 0) keeping (0.25, -0.25, 0.25, 0); cpu(1) sends (0.5, -0.5, 0, 0.5)
  // keeping (0, 0, 0.25, 0.5). Uncompressed the sum would be (1.25, -0.75, 0.5, 1).
  kv->pushpull("w", grads, outs);
  for (const NDArray& o : outs) CHECK(o.asnumpy<float>() == std::vector<float>{1.0f, -0.5f, 0.0f, 0.5f});
  // Again: the residuals join: cpu(0) (1, -0.5, 0.5, 0) sends (0.5, -0.5, 0.5, 0); cpu(1) (0.5, -0.5, 0.5, 1.5)
  // sends (0.5, -0.5, 0.5, 0.5).
  kv->pushpull("w", grads, outs);
  for (const NDArray& o : outs) CHECK(o.asnumpy<float>() == std::vector<float>{1.0f, -1.0f, 1.0f, 0.5f});
  // Set again: the residuals start from zero, the first sum comes back.
  kv->set_gradient_compression({.type = "2bit", .threshold = 0.5});
  kv->pushpull("w", grads, outs);
  CHECK(outs[0].asnumpy<float>() == std::vector<float>{1.0f, -0.5f, 0.0f, 0.5f});

  // An update on the store reads the compressed gradient, also that of a single context.
  kv->init("v", nd::zeros({4}));
  kv->set_optimizer(optimizer::create("sgd", {{"learning_rate", 1.0}}));
  kv->push("v", {grads[0]});
  std::vector<NDArray> weight = {nd::zeros({4})};
  kv->pull("v", weight);
  CHECK(weight[0].asnumpy<float>() == std::vector<float>{-0.5f, 0.0f, 0.0f, 0.0f});
}

TEST_CASE("compression is refused where MXNet refuses it, and for keys that are not float32") {
  CHECK_THROWS_WITH(kvstore::create("local")->set_gradient_compression({}),
                    Catch::Contains("'local'") && Catch::Contains("'device'"));
  auto kv = kvstore::create("device");
  CHECK_THROWS_WITH(kv->set_gradient_compression({.type = "4bit"}), Catch::Contains("4bit"));
  CHECK_THROWS_WITH(kv->set_gradient_compression({.type = "2bit", .threshold = 0}), Catch::Contains("threshold"));
  CHECK_FALSE(kv->gradient_compression().has_value());
  kv->set_gradient_compression({.type = "1bit", .threshold = 0});
  kv->init("d", nd::zeros({3}, cpu(0), DType::kFloat64));
  CHECK_THROWS_WITH(kv->push("d", {nd::ones({3}, cpu(0), DType::kFloat64)}),
                    Catch::Contains("key 'd'") && Catch::Contains("float64") && Catch::Contains("1bit"));
}

TEST_CASE("a Trainer with compression_params steps with the compressed sum of every context's gradient") {
  for (const std::optional<bool> on_store : {std::optional<bool>{}, std::optional<bool>{true}}) {
    INFO("update_on_kvstore " << on_store.value_or(false));
    gluon::nn::Dense dense(1, {.use_bias = false, .in_units = 4});
    dense.initialize(init::One(), {cpu(0), cpu(1)});
    gluon::Trainer trainer(dense.collect_params(), "sgd", {{"learning_rate", 1.0}}, "device",
                           kvstore::GradientCompression{.type = "2bit", .threshold = 0.5}, on_store);
    // The loss is the sum of the outputs: each context's weight gradient is its row of data.
    const NDArray x0 = nd::array({0.75f, -0.25f, 0.25f, 0.0f}, Shape{1, 4}, cpu(0));
    const NDArray x1 = nd::array({0.5f, -0.5f, 0.25f, 1.0f}, Shape{1, 4}, cpu(1));
    auto step = [&] {
      {
        autograd::record r;
        autograd::backward({dense(x0).sum(), dense(x1).sum()});
      }
      trainer.step(1);
    };
    // By hand (the device store's case above): 1 - (1, -0.5, 0, 0.5), then minus (1, -1, 1, 0.5).
    step();
    for (Context c : {cpu(0), cpu(1)}) {
      CHECK(dense.weight().data(c).asnumpy<float>() == std::vector<float>{0.0f, 1.5f, 1.0f, 0.5f});
    }
    REQUIRE(trainer.kvstore()->gradient_compression().has_value());
    step();
    for (Context c : {cpu(0), cpu(1)}) {
      CHECK(dense.weight().data(c).asnumpy<float>() == std::vector<float>{-1.0f, 2.5f, 0.0f, 0.0f});
    }
  }
}
