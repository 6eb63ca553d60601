// ImageRecordIter over PNG records written here (lossless, so every value is known): MXNet's crop, resize,
// pad, mirror and normalization, round_batch, labels, parts, shuffling, determinism and errors.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../png_file.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

constexpr int kWidth = 6, kHeight = 4;

// Record i's pixel (y, x): red 10 y + i, green 10 x, blue 7 + i.
double pixel(int i, int y, int x, int c) { return c == 0 ? 10 * y + i : c == 1 ? 10 * x : 7 + i; }

std::string png_bytes(const fs::path& dir, int i) {
  const std::string path = (dir / ("image" + std::to_string(i) + ".png")).string();
  std::vector<std::uint8_t> rgb;
  for (int y = 0; y < kHeight; ++y)
    for (int x = 0; x < kWidth; ++x)
      for (int c = 0; c < 3; ++c) rgb.push_back(static_cast<std::uint8_t>(pixel(i, y, x, c)));
  test::write_png(path, kWidth, kHeight, rgb);
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Records {
  std::string rec, idx;
};

// `count` 6 x 4 images labelled i (or with the labels {i, -i} when two), in a .rec with its .idx.
Records write_records(const std::string& name, int count, bool two_labels = false) {
  const fs::path dir = fs::temp_directory_path() / ("mxpp_test_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  Records files{(dir / "data.rec").string(), (dir / "data.idx").string()};
  recordio::MXIndexedRecordIO out(files.idx, files.rec, "w");
  for (int i = 0; i < count; ++i) {
    recordio::IRHeader header{.label = static_cast<float>(i), .id = static_cast<std::uint64_t>(i)};
    if (two_labels) header = {.id = static_cast<std::uint64_t>(i), .labels = {static_cast<float>(i), static_cast<float>(-i)}};
    out.write_idx(i, recordio::pack(header, png_bytes(dir, i)));
  }
  return files;
}

// Sample (C, h, w) of record i: the window at (top, left) of its pixels, mirrored when asked, normalized.
std::vector<double> window(int i, int top, int left, int h, int w, bool mirrored = false, std::array<double, 3> mean = {0, 0, 0},
                           std::array<double, 3> std = {1, 1, 1}, double scale = 1) {
  std::vector<double> out;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        const int from = mirrored ? w - 1 - x : x;
        out.push_back((pixel(i, top + y, left + from, c) - mean[c]) * scale / std[c]);
      }
  return out;
}

std::vector<double> join(std::initializer_list<std::vector<double>> parts) {
  std::vector<double> out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TEST_CASE("ImageRecordIter crops the center, normalizes per channel and fills the last batch from the start") {
  const Records files = write_records("image_record_center", 5);
  io::ImageRecordIter it({.path_imgrec = files.rec, .data_shape = {3, 2, 4}, .batch_size = 2, .preprocess_threads = 2,
                          .mean_r = 10, .mean_g = 20, .mean_b = 5, .std_r = 2, .std_g = 4, .std_b = 0.5f, .scale = 0.5f});
  CHECK(it.num_samples() == 5);  // scanned: no .idx was named
  CHECK(it.provide_data().at(0).shape == Shape{2, 3, 2, 4});
  CHECK(it.provide_data().at(0).name == "data");
  CHECK(it.provide_label().at(0).shape == Shape{2});
  const std::array<double, 3> mean{10, 20, 5}, stds{2, 4, 0.5};
  std::vector<io::DataBatch> batches;
  for (const io::DataBatch& b : it) batches.push_back(b);
  REQUIRE(batches.size() == 3);
  // (4 - 2) / 2 = 1 row and (6 - 4) / 2 = 1 column cut from the top and left.
  test::check_array(batches[0].data[0], {2, 3, 2, 4},
                    join({window(0, 1, 1, 2, 4, false, mean, stds, 0.5), window(1, 1, 1, 2, 4, false, mean, stds, 0.5)}));
  test::check_array(batches[0].label[0], {2}, {0, 1});
  CHECK(batches[0].pad == 0);
  test::check_array(batches[2].data[0], {2, 3, 2, 4},
                    join({window(4, 1, 1, 2, 4, false, mean, stds, 0.5), window(0, 1, 1, 2, 4, false, mean, stds, 0.5)}));
  test::check_array(batches[2].label[0], {2}, {4, 0});
  CHECK(batches[2].pad == 1);
  CHECK_FALSE(it.next());
  it.reset();
  REQUIRE(it.next());
  test::check_array(it.getlabel()[0], {2}, {0, 1});

  io::ImageRecordIter zeros({.path_imgrec = files.rec, .data_shape = {3, 2, 4}, .batch_size = 3, .round_batch = false});
  REQUIRE(zeros.next());
  REQUIRE(zeros.next());
  CHECK(zeros.getpad() == 1);
  test::check_array(zeros.getdata()[0], {3, 3, 2, 4}, join({window(3, 1, 1, 2, 4), window(4, 1, 1, 2, 4), std::vector<double>(24, 0.0)}));
  test::check_array(zeros.getlabel()[0], {3}, {3, 4, 0});
}

TEST_CASE("ImageRecordIter resizes the shorter edge, pads, mirrors and gives uint8 bytes") {
  const Records files = write_records("image_record_resize", 2);
  // 6 x 4 to 3 x 2: each output pixel the mean of a 2 x 2 block, 20 y + 5 rows and 20 x + 5 columns.
  io::ImageRecordIter small({.path_imgrec = files.rec, .path_imgidx = files.idx, .data_shape = {3, 2, 3}, .batch_size = 1, .resize = 2});
  REQUIRE(small.next());
  std::vector<double> expected;
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 3; ++x) expected.push_back(c == 0 ? 20 * y + 5 : c == 1 ? 20 * x + 5 : 7);
  test::check_array(small.getdata()[0], {1, 3, 2, 3}, expected);

  // Two pixels of fill_value around: the full 10 x 8 padded image, mirrored.
  io::ImageRecordIter padded({.path_imgrec = files.rec, .data_shape = {3, 8, 10}, .batch_size = 1, .mirror = true, .pad = 2,
                              .fill_value = 200, .dtype = DType::kUint8});
  REQUIRE(padded.next());
  CHECK(padded.getdata()[0].dtype() == DType::kUint8);
  const std::vector<double> got = test::values(padded.getdata()[0]);
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 8; ++y)
      for (int x = 0; x < 10; ++x) {
        const int source_x = 9 - x - 2, source_y = y - 2;
        const bool inside = source_x >= 0 && source_x < kWidth && source_y >= 0 && source_y < kHeight;
        CHECK(got[static_cast<std::size_t>((c * 8 + y) * 10 + x)] == (inside ? pixel(0, source_y, source_x, c) : 200));
      }
}

TEST_CASE("ImageRecordIter's random crops and mirrors are windows of the image, the same for the same seed") {
  const Records files = write_records("image_record_random", 4);
  const io::ImageRecordIterOptions options{.path_imgrec = files.rec, .data_shape = {3, 2, 3}, .batch_size = 4,
                                           .preprocess_threads = 3, .rand_crop = true, .rand_mirror = true, .seed = 11};
  io::ImageRecordIter a(options), b(options);
  std::set<std::pair<int, int>> corners;
  std::set<bool> mirrors;
  for (int pass = 0; pass < 5; ++pass, a.reset(), b.reset()) {
    REQUIRE(a.next());
    REQUIRE(b.next());
    const std::vector<double> got = test::values(a.getdata()[0]);
    CHECK(got == test::values(b.getdata()[0]));
    for (int i = 0; i < 4; ++i) {
      const std::vector<double> sample(got.begin() + i * 18, got.begin() + (i + 1) * 18);
      // Red is 10 y + i: its first value gives the top row; green 10 x: its first and last the columns.
      const int top = static_cast<int>(sample[0] - i) / 10;
      const bool mirrored = sample[6] > sample[8];
      const int left = static_cast<int>(mirrored ? sample[8] : sample[6]) / 10;
      REQUIRE(top >= 0);
      REQUIRE(top <= kHeight - 2);
      REQUIRE(left >= 0);
      REQUIRE(left <= kWidth - 3);
      CHECK(sample == window(i, top, left, 2, 3, mirrored));
      corners.insert({top, left});
      mirrors.insert(mirrored);
    }
  }
  CHECK(corners.size() > 3);  // of the 3 x 4 places a window can start
  CHECK(mirrors.size() == 2);
}

TEST_CASE("ImageRecordIter shuffles every pass, reads its part, and takes several labels") {
  const Records files = write_records("image_record_shuffle", 8, true);
  io::ImageRecordIter it({.path_imgrec = files.rec, .path_imgidx = files.idx, .data_shape = {3, 2, 2}, .batch_size = 8,
                          .label_width = 2, .shuffle = true, .seed = 5});
  CHECK(it.provide_label().at(0).shape == Shape{8, 2});
  std::vector<std::vector<double>> orders;
  for (int pass = 0; pass < 3; ++pass, it.reset()) {
    REQUIRE(it.next());
    const std::vector<double> labels = test::values(it.getlabel()[0]);
    const std::vector<double> data = test::values(it.getdata()[0]);
    std::vector<double> order;
    for (int s = 0; s < 8; ++s) {
      const double i = labels[2 * s];
      CHECK(labels[2 * s + 1] == -i);
      CHECK(data[s * 12 + 8] == 7 + i);  // the image travelled with its labels: blue is 7 + i
      order.push_back(i);
    }
    CHECK(std::set<double>(order.begin(), order.end()).size() == 8);
    orders.push_back(order);
  }
  CHECK(orders[0] != orders[1]);
  CHECK(orders[1] != orders[2]);

  // 8 records in 3 parts: [0, 2), [2, 5), [5, 8).
  io::ImageRecordIter part({.path_imgrec = files.rec, .data_shape = {3, 2, 2}, .batch_size = 3, .label_width = 2,
                            .num_parts = 3, .part_index = 1});
  CHECK(part.num_samples() == 3);
  REQUIRE(part.next());
  test::check_array(part.getlabel()[0], {3, 2}, {2, -2, 3, -3, 4, -4});
  CHECK_THROWS_WITH(io::ImageRecordIter({.path_imgrec = files.rec, .data_shape = {3, 2, 2}, .batch_size = 1}).next(),
                    Contains("2 labels") && Contains("label_width is 1") && Contains("data.rec"));
}

TEST_CASE("ImageRecordIter names the record and the file of an image it cannot use") {
  const Records files = write_records("image_record_errors", 2);
  const fs::path dir = fs::path(files.rec).parent_path();
  {
    recordio::MXRecordIO out(files.rec, "w");  // an image, then a record that is not one
    out.write(recordio::pack({.label = 0}, png_bytes(dir, 0)));
    out.write(recordio::pack({.label = 1}, "not an image"));
  }
  io::ImageRecordIter it({.path_imgrec = files.rec, .data_shape = {3, 2, 2}, .batch_size = 1});
  REQUIRE(it.next());
  CHECK_THROWS_WITH(it.next(), Contains("record 2") && Contains("data.rec") && Contains("neither a JPEG nor a PNG"));
  CHECK_THROWS_WITH(io::ImageRecordIter({.path_imgrec = files.rec, .data_shape = {3, 5, 7}, .batch_size = 1}).next(),
                    Contains("record 1") && Contains("6 x 4") && Contains("smaller than data_shape's 7 x 5"));
  CHECK_THROWS_WITH(io::ImageRecordIter({.path_imgrec = (dir / "missing.rec").string(), .data_shape = {3, 2, 2}}),
                    Contains("missing.rec"));
  CHECK_THROWS_WITH(io::ImageRecordIter({.path_imgrec = files.rec, .data_shape = {2, 2, 2}}), Contains("data_shape"));
  CHECK_THROWS_WITH(io::ImageRecordIter({.path_imgrec = files.rec, .data_shape = {3, 2, 2}, .resize = 0}), Contains("resize"));
}

TEST_CASE("ImageRecordIter decodes ahead inside PrefetchingIter") {
  const Records files = write_records("image_record_prefetch", 5);
  auto records = std::make_shared<io::ImageRecordIter>(
      io::ImageRecordIterOptions{.path_imgrec = files.rec, .data_shape = {3, 4, 6}, .batch_size = 2});
  io::PrefetchingIter ahead({records});
  std::vector<double> labels;
  for (const io::DataBatch& b : ahead) {
    const std::vector<double> l = test::values(b.label[0]);
    labels.insert(labels.end(), l.begin(), l.end());
  }
  CHECK(labels == std::vector<double>{0, 1, 2, 3, 4, 0});
}
