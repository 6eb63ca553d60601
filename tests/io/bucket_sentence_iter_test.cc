// BucketSentenceIter's buckets, padding, next-token labels and layouts, and encode_sentences, against
// sentences written out by hand.
#include <catch2/catch.hpp>

#include <set>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("BucketSentenceIter pads sentences into buckets and labels each position with the next token", "[io][bucketing]") {
  random::seed(5);
  const std::vector<std::vector<std::int64_t>> sentences = {{1, 2}, {3, 4}, {5, 6, 7}, {8, 9, 10, 11}, {1, 2, 3, 4, 5}, {7}};
  io::BucketSentenceIter iter(sentences, {.batch_size = 2, .buckets = {4, 2}, .invalid_label = -1});
  CHECK(iter.buckets() == std::vector<std::int64_t>{2, 4});
  CHECK(iter.default_bucket_key() == 4);
  CHECK(iter.discarded() == 1);
  CHECK(iter.provide_data()[0].shape == Shape{2, 4});
  CHECK(iter.provide_label()[0].name == "softmax_label");
  for (int pass = 0; pass < 2; ++pass, iter.reset()) {
    std::set<std::int64_t> keys;
    for (const io::DataBatch& batch : iter) {
      REQUIRE(batch.bucket_key.has_value());
      const std::int64_t length = *batch.bucket_key;
      keys.insert(length);
      CHECK(batch.data[0].shape() == Shape{2, length});
      CHECK(batch.provide_data[0].shape == Shape{2, length});
      const std::vector<double> data = batch.data[0].asnumpy<double>(), label = batch.label[0].asnumpy<double>();
      for (std::int64_t row = 0; row < 2; ++row) {
        for (std::int64_t t = 0; t < length; ++t) {
          const auto at = static_cast<std::size_t>(row * length + t);
          CHECK(label[at] == (t + 1 < length ? data[at + 1] : -1));
        }
      }
      if (length == 4) {  // the two sentences of bucket 4, one padded
        std::set<double> firsts{data[0], data[4]};
        CHECK(firsts == std::set<double>{5, 8});
      }
    }
    CHECK(keys == std::set<std::int64_t>{2, 4});  // bucket 2 has three sentences: one whole batch
  }
}

TEST_CASE("BucketSentenceIter finds buckets itself, lays batches out time-major, and refuses what it cannot bucket", "[io][bucketing]") {
  io::BucketSentenceIter iter({{1, 2}, {2, 3}, {1, 2, 3}, {3, 2, 1}, {1, 1, 1}, {4}}, {.batch_size = 2, .layout = "TN"});
  CHECK(iter.buckets() == std::vector<std::int64_t>{2, 3});
  CHECK(iter.discarded() == 0);  // the single token goes to bucket 2
  int batches = 0;
  for (const io::DataBatch& batch : iter) {
    CHECK(batch.data[0].shape() == Shape{*batch.bucket_key, 2});
    ++batches;
  }
  CHECK(batches == 2);
  CHECK_THROWS_WITH(io::BucketSentenceIter({{1}, {2, 3}}, {.batch_size = 2}), Contains("no bucket"));
  CHECK_THROWS_WITH(io::BucketSentenceIter({{1}}, {.batch_size = 1, .layout = "NCT"}), Contains("NCT"));
}

TEST_CASE("encode_sentences numbers words from start_label, skipping the invalid label", "[io][bucketing]") {
  const auto [encoded, vocab] = io::encode_sentences({{"a", "b"}, {"b", "c", "a"}}, {.invalid_label = 1, .start_label = 0});
  CHECK(encoded == std::vector<std::vector<std::int64_t>>{{0, 2}, {2, 3, 0}});
  CHECK(vocab.at("\n") == 1);
  const auto [again, same] = io::encode_sentences({{"c", "a"}}, {}, vocab);
  CHECK(again == std::vector<std::vector<std::int64_t>>{{3, 0}});
  CHECK_THROWS_WITH(io::encode_sentences({{"d"}}, {}, vocab), Contains("'d'"));
}
