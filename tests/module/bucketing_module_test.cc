// BucketingModule: an LSTM language model over sentences of two lengths, one module per bucket over the same
// parameter arrays, trained until it predicts the next token; and its errors.
#include <catch2/catch.hpp>

#include <sstream>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {

constexpr int kVocab = 6;  // 0 pads; the tokens 1..5 each followed by the next, 5 by 1

// (N, T) tokens -> embedding -> LSTM (time-major) -> a class per position -> SoftmaxOutput over (N*T, kVocab).
mod::BucketSymbol language_model(std::int64_t /*length*/) {
  sym::Symbol x = sym::invoke("Embedding", {sym::var("data")}, {{"input_dim", "6"}, {"output_dim", "8"}}, "embed");
  x = sym::invoke("SwapAxis", {x}, {{"dim1", "0"}, {"dim2", "1"}}, "to_time_major");
  x = sym::invoke("RNN", {x}, {{"state_size", "16"}, {"num_layers", "1"}, {"mode", "lstm"}}, "lstm");
  x = sym::invoke("SwapAxis", {x}, {{"dim1", "0"}, {"dim2", "1"}}, "to_batch_major");
  x = sym::invoke("Reshape", {x}, {{"shape", "(-1, 16)"}}, "flat");
  x = sym::invoke("FullyConnected", {x}, {{"num_hidden", "6"}}, "pred");
  const sym::Symbol label = sym::invoke("Reshape", {sym::var("softmax_label")}, {{"shape", "(-1,)"}}, "label_flat");
  return {sym::invoke("SoftmaxOutput", {x, label}, {}, "softmax")};
}

std::vector<std::vector<std::int64_t>> counting_sentences() {
  std::vector<std::vector<std::int64_t>> out;
  for (int i = 0; i < 64; ++i) {
    std::vector<std::int64_t> s;
    const int length = i % 2 == 0 ? 4 : 8;
    for (int t = 0; t < length; ++t) s.push_back((i + t) % (kVocab - 1) + 1);
    out.push_back(s);
  }
  return out;
}

}  // namespace

TEST_CASE("BucketingModule trains one language model over two sentence lengths, its buckets sharing parameters", "[module][bucketing]") {
  random::seed(11);
  io::BucketSentenceIter train(counting_sentences(), {.batch_size = 8, .buckets = {4, 8}, .invalid_label = 0});
  mod::BucketingModule model(&language_model, train.default_bucket_key());
  std::ostringstream log;
  model.fit(train, {.optimizer = "adam", .optimizer_params = {{"learning_rate", 0.02}},
                    .initializer = init::Uniform(0.1), .num_epoch = 15, .log = &log});
  REQUIRE(model.num_buckets() == 2);
  CHECK_THAT(log.str(), Contains("Epoch[14] Train-accuracy="));
  // Each position's next token, the padding after the last included: all but the last positions are certain.
  const auto scored = model.score(train, "acc");
  CHECK(scored[0].second > 0.8);
  const NDArray short_embed = model.module(4).executors()[0].arg_dict().at("embed_weight");
  const NDArray long_embed = model.module(8).executors()[0].arg_dict().at("embed_weight");
  CHECK(short_embed.asnumpy<double>() == long_embed.asnumpy<double>());
  NDArray written = long_embed;
  nd::full(written.shape(), 0.5).copyto(written);
  CHECK(short_embed.asnumpy<double>()[0] == 0.5);  // one array, not copies
}

TEST_CASE("BucketingModule names what a bucket needs first", "[module][bucketing]") {
  mod::BucketingModule model(&language_model, 8);
  CHECK_THROWS_WITH(model.forward({{nd::ones({2, 4})}, {}, 0, 4}), Contains("bind"));
  model.bind({{"data", Shape{2, 8}}}, {{"softmax_label", Shape{2, 8}}});
  CHECK_THROWS_WITH(model.forward({{nd::ones({2, 4})}, {}, 0, 4}), Contains("provide_data"));
  CHECK_THROWS_WITH(model.switch_bucket(4, {{"data", Shape{2, 4}}}), Contains("init_params"));
  model.init_params(init::Uniform(0.1));  // as MXNet's, Xavier has no fans for RNN's flat parameters
  model.switch_bucket(4, {{"data", Shape{2, 4}}}, {{"softmax_label", Shape{2, 4}}});
  CHECK(model.bucket_key() == 4);
  CHECK(model.symbol().list_arguments() == model.module(8).symbol().list_arguments());
  CHECK_THROWS_WITH(model.module(5), Contains("bucket 5"));
}
