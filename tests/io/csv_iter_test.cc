// CSVIter: batches shaped from comma-separated lines, padding, labels, dtypes, and errors naming file and line.
#include <catch2/catch.hpp>

#include <fstream>

#include <mx/mx.h>

#include "../temp_path.h"

using namespace mx;

namespace {
std::string write_csv(const std::string& name, const std::string& text) {
  const std::string path = test::temp_path(name);
  std::ofstream(path) << text;
  return path;
}
// Five samples of six values: sample i holds 10i .. 10i + 5.
std::string five_samples(const std::string& name) {
  std::string text;
  for (int i = 0; i < 5; ++i) {
    for (int v = 0; v < 6; ++v) text += (v ? "," : "") + std::to_string(10 * i + v);
    text += i == 2 ? "\r\n\n" : "\n";  // a Windows line end and a blank line are read past
  }
  return write_csv(name, text);
}
std::vector<double> sample_values(std::initializer_list<int> samples) {
  std::vector<double> out;
  for (int i : samples)
    for (int v = 0; v < 6; ++v) out.push_back(10 * i + v);
  return out;
}
}  // namespace

TEST_CASE("CSVIter shapes each line as data_shape and pads the last batch from the start") {
  const std::string data = five_samples("csv_pad_data.csv");
  const std::string label = write_csv("csv_pad_label.csv", "0\n1\n2\n3\n 4.5 \n");
  io::CSVIter it({.data_csv = data, .data_shape = {3, 2}, .label_csv = label, .batch_size = 2});
  CHECK(it.num_samples() == 5);
  CHECK(it.provide_data().at(0).shape == Shape{2, 3, 2});
  CHECK(it.provide_data().at(0).name == "data");
  CHECK(it.provide_label().at(0).shape == Shape{2});
  CHECK(it.provide_label().at(0).name == "softmax_label");
  std::vector<std::vector<double>> datas, labels;
  std::vector<std::int64_t> pads;
  for (const io::DataBatch& batch : it) {
    CHECK(batch.data.at(0).shape() == Shape{2, 3, 2});
    CHECK(batch.label.at(0).shape() == Shape{2});
    datas.push_back(batch.data[0].asnumpy<double>());
    labels.push_back(batch.label[0].asnumpy<double>());
    pads.push_back(batch.pad);
  }
  CHECK(datas == std::vector<std::vector<double>>{sample_values({0, 1}), sample_values({2, 3}), sample_values({4, 0})});
  CHECK(labels == std::vector<std::vector<double>>{{0, 1}, {2, 3}, {4.5, 0}});
  CHECK(pads == std::vector<std::int64_t>{0, 0, 1});
  it.reset();
  REQUIRE(it.next());
  CHECK(it.getdata().at(0).asnumpy<double>() == sample_values({0, 1}));
}

TEST_CASE("CSVIter without round_batch ends on a shorter batch, and without labels gives zeros") {
  const std::string data = five_samples("csv_short_data.csv");
  io::CSVIter it({.data_csv = data, .data_shape = {6}, .batch_size = 3, .round_batch = false, .dtype = DType::kInt32});
  REQUIRE(it.next());
  CHECK(it.getdata().at(0).dtype() == DType::kInt32);
  CHECK(it.getlabel().at(0).asnumpy<double>() == std::vector<double>{0, 0, 0});
  REQUIRE(it.next());
  CHECK(it.getdata().at(0).shape() == Shape{2, 6});
  CHECK(it.getdata().at(0).asnumpy<double>() == sample_values({3, 4}));
  CHECK(it.getpad() == 0);
  CHECK_FALSE(it.next());
}

TEST_CASE("CSVIter keeps a label of several values as its own axes") {
  const std::string data = write_csv("csv_wide_data.csv", "1\n2\n3\n");
  const std::string label = write_csv("csv_wide_label.csv", "1,2\n3,4\n5,6\n");
  io::CSVIter it({.data_csv = data, .data_shape = {1}, .label_csv = label, .label_shape = {2}, .batch_size = 3});
  CHECK(it.provide_data().at(0).shape == Shape{3, 1});
  CHECK(it.provide_label().at(0).shape == Shape{3, 2});
  REQUIRE(it.next());
  CHECK(it.getlabel().at(0).asnumpy<double>() == std::vector<double>{1, 2, 3, 4, 5, 6});
}

TEST_CASE("CSVIter names the file and line of a bad value or a line of the wrong length") {
  const std::string bad = write_csv("csv_bad.csv", "1,2\n3,x\n");
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = bad, .data_shape = {2}}),
                    Catch::Contains("csv_bad.csv:2: value 2 'x' is not a number"));
  const std::string ragged = write_csv("csv_ragged.csv", "1,2\n3,4,5\n");
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = ragged, .data_shape = {2}}),
                    Catch::Contains("csv_ragged.csv:2 holds 3 values; data_csv's shape asks for 2"));
  const std::string empty_field = write_csv("csv_empty_field.csv", "1,,2\n");
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = empty_field, .data_shape = {3}}), Catch::Contains("is not a number"));
  const std::string data = write_csv("csv_labels_data.csv", "1\n2\n");
  const std::string labels = write_csv("csv_labels_short.csv", "1\n");
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = data, .data_shape = {1}, .label_csv = labels}),
                    Catch::Contains("csv_labels_short.csv holds 1 labels") && Catch::Contains("2 samples"));
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = test::temp_path("csv_missing.csv"), .data_shape = {1}}),
                    Catch::Contains("cannot open data_csv"));
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = data, .data_shape = {}}), Catch::Contains("data_shape"));
  CHECK_THROWS_WITH(io::CSVIter({.data_csv = data, .data_shape = {1}, .batch_size = 0}),
                    Catch::Contains("batch_size must be positive"));
}
