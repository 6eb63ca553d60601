// MNISTIter over small IDX files written here: MXNet's scaling by 1/256, shapes, whole batches only, the one
// shuffle at construction, parts, and errors naming the files.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <fstream>
#include <set>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;

namespace {

std::string idx_header(int axes, std::initializer_list<int> extents) {
  std::string out{'\0', '\0', '\x08', static_cast<char>(axes)};
  for (int e : extents) out += {static_cast<char>(e >> 24), static_cast<char>(e >> 16), static_cast<char>(e >> 8), static_cast<char>(e)};
  return out;
}

struct Digits {
  std::string images, labels;
};

// `count` images of 2 x 3 pixels, image i's pixel k being 10 i + k, and labels 9 - i; the images gzipped.
Digits write_digits(const std::string& name, int count, int label_count = -1) {
  Digits files{test::temp_path(name + "-images-idx3-ubyte.gz"), test::temp_path(name + "-labels-idx1-ubyte")};
  std::string images = idx_header(3, {count, 2, 3}), labels = idx_header(1, {label_count < 0 ? count : label_count});
  for (int i = 0; i < count; ++i)
    for (int k = 0; k < 6; ++k) images += static_cast<char>(10 * i + k);
  for (int i = 0; i < (label_count < 0 ? count : label_count); ++i) labels += static_cast<char>(9 - i);
  gzFile gz = gzopen(files.images.c_str(), "wb");
  gzwrite(gz, images.data(), static_cast<unsigned>(images.size()));
  gzclose(gz);
  std::ofstream(files.labels, std::ios::binary) << labels;
  return files;
}

// Image i's pixels as MNISTIter scales them.
std::vector<double> pixels(std::initializer_list<int> images) {
  std::vector<double> out;
  for (int i : images)
    for (int k = 0; k < 6; ++k) out.push_back((10 * i + k) / 256.0);
  return out;
}

}  // namespace

TEST_CASE("MNISTIter scales pixels by 1/256 into (batch, 1, rows, cols) and drops the last partial batch") {
  const Digits files = write_digits("mnist_iter_plain", 5);
  io::MNISTIter it({.image = files.images, .label = files.labels, .batch_size = 2, .shuffle = false, .silent = true});
  CHECK(it.num_samples() == 5);
  CHECK(it.provide_data().at(0).name == "data");
  CHECK(it.provide_data().at(0).shape == Shape{2, 1, 2, 3});
  CHECK(it.provide_label().at(0).name == "softmax_label");
  CHECK(it.provide_label().at(0).shape == Shape{2});
  std::vector<io::DataBatch> batches;
  for (const io::DataBatch& b : it) batches.push_back(b);
  REQUIRE(batches.size() == 2);  // the fifth digit is never read
  test::check_array(batches[0].data[0], {2, 1, 2, 3}, pixels({0, 1}));
  test::check_array(batches[1].data[0], {2, 1, 2, 3}, pixels({2, 3}));
  test::check_array(batches[1].label[0], {2}, {7, 6});
  CHECK(batches[1].data[0].dtype() == DType::kFloat32);
  CHECK(batches[1].label[0].dtype() == DType::kFloat32);
  CHECK_FALSE(it.next());
  it.reset();
  REQUIRE(it.next());
  test::check_array(it.getdata()[0], {2, 1, 2, 3}, pixels({0, 1}));

  io::MNISTIter flat({.image = files.images, .label = files.labels, .batch_size = 5, .shuffle = false, .flat = true, .silent = true});
  REQUIRE(flat.next());
  test::check_array(flat.getdata()[0], {5, 6}, pixels({0, 1, 2, 3, 4}));
}

TEST_CASE("MNISTIter shuffles once, from its seed, keeping each digit with its label") {
  const Digits files = write_digits("mnist_iter_shuffled", 6);
  auto order = [&](int seed) {
    io::MNISTIter it({.image = files.images, .label = files.labels, .batch_size = 6, .seed = seed, .silent = true});
    std::vector<std::vector<int>> passes;
    for (int pass = 0; pass < 2; ++pass, it.reset()) {
      REQUIRE(it.next());
      const std::vector<double> x = test::values(it.getdata()[0]), y = test::values(it.getlabel()[0]);
      std::vector<int> digits;
      for (std::size_t s = 0; s < 6; ++s) {
        const int digit = static_cast<int>(std::lround(x[s * 6] * 256 / 10));
        CHECK(y[s] == 9 - digit);  // the label travelled with its image
        digits.push_back(digit);
      }
      passes.push_back(digits);
    }
    CHECK(passes[0] == passes[1]);  // MXNet's MNISTIter shuffles when it is made, not every pass
    CHECK(std::set<int>(passes[0].begin(), passes[0].end()) == std::set<int>{0, 1, 2, 3, 4, 5});
    return passes[0];
  };
  CHECK(order(3) == order(3));
  CHECK(order(3) != order(4));
  CHECK(order(3) != std::vector<int>{0, 1, 2, 3, 4, 5});
}

TEST_CASE("MNISTIter reads part_index of num_parts, split as MXNet splits them") {
  const Digits files = write_digits("mnist_iter_parts", 5);
  // 5 / 2 = 2.5: part 0 is [0, 2), part 1 [2, 5).
  io::MNISTIter first({.image = files.images, .label = files.labels, .batch_size = 1, .shuffle = false, .silent = true,
                       .num_parts = 2, .part_index = 0});
  io::MNISTIter second({.image = files.images, .label = files.labels, .batch_size = 3, .shuffle = false, .silent = true,
                        .num_parts = 2, .part_index = 1});
  CHECK(first.num_samples() == 2);
  CHECK(second.num_samples() == 3);
  REQUIRE(second.next());
  test::check_array(second.getdata()[0], {3, 1, 2, 3}, pixels({2, 3, 4}));
  CHECK_THROWS_WITH(io::MNISTIter({.image = files.images, .label = files.labels, .num_parts = 2, .part_index = 2}),
                    Contains("part_index 2") && Contains("num_parts 2"));
}

TEST_CASE("MNISTIter names the file that is missing, malformed or disagrees with the other") {
  const Digits files = write_digits("mnist_iter_bad", 4, 3);
  CHECK_THROWS_WITH(io::MNISTIter({.image = files.images, .label = files.labels, .silent = true}),
                    Contains("4 images") && Contains("3 labels") && Contains("mnist_iter_bad-labels-idx1-ubyte"));
  CHECK_THROWS_WITH(io::MNISTIter({.image = files.labels, .label = files.labels, .silent = true}),
                    Contains("mnist_iter_bad-labels-idx1-ubyte") && Contains("3 axes"));
  CHECK_THROWS_WITH(io::MNISTIter({.image = test::temp_path("no-such-images"), .label = files.labels}), Contains("no-such-images"));
  CHECK_THROWS_WITH(io::MNISTIter({.image = files.images, .label = files.labels, .batch_size = 0}), Contains("batch_size"));
}
