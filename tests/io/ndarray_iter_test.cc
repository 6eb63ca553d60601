// NDArrayIter: MXNet's three last-batch rules on 10 samples in batches of 3, shuffling, several named arrays,
// and the errors.
#include <catch2/catch.hpp>

#include <algorithm>

#include <mx/mx.h>

using namespace mx;

namespace {
// Sample i is the row (2i, 2i + 1), its label i.
NDArray ten_rows() { return nd::arange(0, 20).reshape({10, 2}); }
NDArray ten_labels() { return nd::arange(0, 10); }

// The labels of each batch of the rest of the pass, and each batch's data checked against its labels.
std::vector<std::vector<double>> pass_labels(io::DataIter& it, std::vector<std::int64_t>* pads = nullptr) {
  std::vector<std::vector<double>> out;
  for (const io::DataBatch& batch : it) {
    const std::vector<double> labels = batch.label.at(0).asnumpy<double>(), rows = batch.data.at(0).asnumpy<double>();
    REQUIRE(rows.size() == 2 * labels.size());
    for (std::size_t k = 0; k < labels.size(); ++k) {
      CHECK(rows[2 * k] == 2 * labels[k]);
      CHECK(rows[2 * k + 1] == 2 * labels[k] + 1);
    }
    out.push_back(labels);
    if (pads) pads->push_back(batch.pad);
  }
  return out;
}
using Batches = std::vector<std::vector<double>>;
}  // namespace

TEST_CASE("NDArrayIter pads the last batch with samples from the start and says how many") {
  io::NDArrayIter it(ten_rows(), ten_labels(), {.batch_size = 3});
  const auto data = it.provide_data(), label = it.provide_label();
  REQUIRE(data.size() == 1);
  CHECK(data[0].name == "data");
  CHECK(data[0].shape == Shape{3, 2});
  CHECK(data[0].dtype == DType::kFloat32);
  REQUIRE(label.size() == 1);
  CHECK(label[0].name == "softmax_label");
  CHECK(label[0].shape == Shape{3});
  std::vector<std::int64_t> pads;
  CHECK(pass_labels(it, &pads) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9, 0, 1}});
  CHECK(pads == std::vector<std::int64_t>{0, 0, 0, 2});
  CHECK_FALSE(it.next());  // the pass stays over until reset
  CHECK(pass_labels(it).empty());
  it.reset();
  CHECK(pass_labels(it) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}, {9, 0, 1}});
}

TEST_CASE("NDArrayIter wraps around as often as a batch larger than the data needs") {
  io::NDArrayIter it(nd::arange(0, 4).reshape({2, 2}), nd::arange(0, 2), {.batch_size = 5});
  std::vector<std::int64_t> pads;
  CHECK(pass_labels(it, &pads) == Batches{{0, 1, 0, 1, 0}});
  CHECK(pads == std::vector<std::int64_t>{3});
}

TEST_CASE("NDArrayIter with discard drops the samples after the last full batch") {
  io::NDArrayIter it(ten_rows(), ten_labels(), {.batch_size = 3, .last_batch_handle = io::LastBatchHandle::kDiscard});
  CHECK(it.num_data() == 9);
  CHECK(pass_labels(it) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}});
  it.reset();
  CHECK(pass_labels(it).size() == 3);
}

TEST_CASE("NDArrayIter with roll_over carries the last samples into the next pass's first batch") {
  io::NDArrayIter it(ten_rows(), ten_labels(), {.batch_size = 3, .last_batch_handle = io::LastBatchHandle::kRollOver});
  CHECK(pass_labels(it) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}});
  it.reset();  // MXNet's documented example: the next pass begins with sample 9, then 0 and 1
  std::vector<std::int64_t> pads;
  CHECK(pass_labels(it, &pads) == Batches{{9, 0, 1}, {2, 3, 4}, {5, 6, 7}});
  CHECK(pads == std::vector<std::int64_t>{0, 0, 0});
  it.reset();  // 8 and 9 were left over
  CHECK(pass_labels(it) == Batches{{8, 9, 0}, {1, 2, 3}, {4, 5, 6}, {7, 8, 9}});
  it.reset();  // that pass ended on a full batch: nothing carried
  CHECK(pass_labels(it).front() == std::vector<double>{0, 1, 2});
}

TEST_CASE("NDArrayIter's hard_reset forgets the rolled-over samples") {
  io::NDArrayIter it(ten_rows(), ten_labels(), {.batch_size = 3, .last_batch_handle = io::LastBatchHandle::kRollOver});
  CHECK(pass_labels(it).size() == 3);
  it.hard_reset();
  CHECK(pass_labels(it) == Batches{{0, 1, 2}, {3, 4, 5}, {6, 7, 8}});
}

TEST_CASE("NDArrayIter with shuffle reads every sample once a pass, in a new order each pass") {
  random::seed(7);
  io::NDArrayIter it(nd::arange(0, 24).reshape({12, 2}), nd::arange(0, 12), {.batch_size = 4, .shuffle = true});
  std::vector<std::vector<double>> orders;
  for (int pass = 0; pass < 2; ++pass, it.reset()) {
    std::vector<double> order;
    for (const auto& batch : pass_labels(it)) order.insert(order.end(), batch.begin(), batch.end());
    orders.push_back(order);
    std::sort(order.begin(), order.end());
    std::vector<double> all(12);
    for (int i = 0; i < 12; ++i) all[i] = i;
    CHECK(order == all);
  }
  CHECK(orders[0] != orders[1]);
  std::vector<double> sorted(orders[0]);
  std::sort(sorted.begin(), sorted.end());
  CHECK(orders[0] != sorted);
  random::seed(7);  // the same seed, the same order
  io::NDArrayIter again(nd::arange(0, 24).reshape({12, 2}), nd::arange(0, 12), {.batch_size = 4, .shuffle = true});
  std::vector<double> order;
  for (const auto& batch : pass_labels(again)) order.insert(order.end(), batch.begin(), batch.end());
  CHECK(order == orders[0]);
}

TEST_CASE("NDArrayIter reads several named inputs and labels in the order given") {
  io::NDArrayIter it({{"image", nd::arange(0, 12).reshape({4, 3})}, {"mask", nd::ones({4, 2, 2}, cpu(), DType::kInt32)}},
                     {{"class", nd::arange(0, 4)}}, {.batch_size = 2});
  const auto data = it.provide_data();
  REQUIRE(data.size() == 2);
  CHECK(data[0].name == "image");
  CHECK(data[0].shape == Shape{2, 3});
  CHECK(data[1].name == "mask");
  CHECK(data[1].shape == Shape{2, 2, 2});
  CHECK(data[1].dtype == DType::kInt32);
  CHECK(it.provide_label().at(0).name == "class");
  REQUIRE(it.next());
  REQUIRE(it.next());
  CHECK(it.getdata().at(0).asnumpy<double>() == std::vector<double>{6, 7, 8, 9, 10, 11});
  CHECK(it.getdata().at(1).shape() == Shape{2, 2, 2});
  CHECK(it.getlabel().at(0).asnumpy<double>() == std::vector<double>{2, 3});
  CHECK_FALSE(it.next());
}

TEST_CASE("NDArrayIter without labels gives batches with none") {
  io::NDArrayIter it(ten_rows(), {}, {.batch_size = 5});
  CHECK(it.provide_label().empty());
  int batches = 0;
  for (const auto& batch : it) {
    CHECK(batch.label.empty());
    CHECK(batch.data.at(0).shape() == Shape{5, 2});
    ++batches;
  }
  CHECK(batches == 2);
}

TEST_CASE("NDArrayIter refuses arrays of different lengths, no data, and a batch size below 1") {
  CHECK_THROWS_WITH(io::NDArrayIter(ten_rows(), nd::arange(0, 9), {.batch_size = 3}),
                    Catch::Contains("'softmax_label' has 9 samples, 'data' has 10"));
  CHECK_THROWS_AS(io::NDArrayIter(ten_rows(), nd::arange(0, 9)), ShapeError);
  CHECK_THROWS_WITH(io::NDArrayIter(ten_rows(), ten_labels(), {.batch_size = 0}),
                    Catch::Contains("batch_size must be positive"));
  CHECK_THROWS_WITH(io::NDArrayIter(io::NamedArrays{}, {}), Catch::Contains("no data arrays"));
  CHECK_THROWS_WITH(io::NDArrayIter(NDArray(), ten_labels()), Catch::Contains("'data' needs at least one axis"));
}
