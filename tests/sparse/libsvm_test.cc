// LibSVMIter: MXNet's example file read into CSR batches, round_batch padding, parts, and errors naming the line.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <mx/mx.h>

#include "../temp_path.h"
#include "test_util.h"

using namespace mx;

namespace {
std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = test::temp_path(name);
  std::ofstream(path) << text;
  return path;
}
// MXNet's documented example (zero-based indices).
const char* const kExample = "1.0 0:0.5 2:1.2\n-2.0\n-3.0 0:0.6 1:2.4 2:1.2\n4 2:-1.2\n";
}  // namespace

TEST_CASE("LibSVMIter gives MXNet's example as CSR batches, the last one padded from the start") {
  const std::string path = write_file("example.libsvm", kExample);
  io::LibSVMIter it({.data_libsvm = path, .data_shape = 3, .batch_size = 3});
  CHECK(it.num_samples() == 4);
  REQUIRE(it.next());
  test::check_array(it.data().todense(), Shape{3, 3}, {0.5, 0, 1.2, 0, 0, 0, 0.6, 2.4, 1.2});
  test::check_array(it.label(), Shape{3}, {1, -2, -3});
  CHECK(it.pad() == 0);
  REQUIRE(it.next());
  CHECK(it.pad() == 2);
  test::check_array(it.data().todense(), Shape{3, 3}, {0, 0, -1.2, 0.5, 0, 1.2, 0, 0, 0});
  test::check_array(it.label(), Shape{3}, {4, 1, -2});
  CHECK_FALSE(it.next());
  it.reset();
  REQUIRE(it.next());
  test::check_array(it.label(), Shape{3}, {1, -2, -3});

  const io::LibSVMData all = io::load_libsvm(path, 3);
  CHECK(all.data.shape() == Shape{4, 3});
  CHECK(all.data.indptr().asnumpy<std::int64_t>() == std::vector<std::int64_t>{0, 2, 2, 5, 6});
  test::check_array(all.label, Shape{4}, {1, -2, -3, 4});
}

TEST_CASE("LibSVMIter without round_batch, in parts, from a directory, and counting from 1") {
  const std::string path = write_file("parts.libsvm", kExample);
  io::LibSVMIter short_last({.data_libsvm = path, .data_shape = 3, .batch_size = 3, .round_batch = false});
  short_last.next();
  REQUIRE(short_last.next());
  CHECK(short_last.data().shape() == Shape{1, 3});

  io::LibSVMIter second_half({.data_libsvm = path, .data_shape = 3, .batch_size = 2, .num_parts = 2, .part_index = 1});
  CHECK(second_half.num_samples() == 2);
  second_half.next();
  test::check_array(second_half.label(), Shape{2}, {-3, 4});

  const std::string dir = test::temp_path("libsvm_dir");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/b.txt") << "2 1:1\n";
  std::ofstream(dir + "/a.txt") << "1 2:1  # a comment\n\n";
  const io::LibSVMData both = io::load_libsvm(dir, 2, DType::kFloat64, /*one_based=*/true);
  test::check_array(both.label, Shape{2}, {1, 2});
  test::check_array(both.data.todense(), Shape{2, 2}, {0, 1, 1, 0});
  CHECK(both.data.dtype() == DType::kFloat64);
}

TEST_CASE("LibSVMIter names the file and line of what it cannot read") {
  const auto fails = [](const std::string& text, std::int64_t features = 3) {
    const std::string path = write_file("bad.libsvm", text);
    io::LibSVMIter it({.data_libsvm = path, .data_shape = features});
  };
  CHECK_THROWS_WITH(fails("1 0:1\n2 3:1\n"), Catch::Contains("bad.libsvm:2") && Catch::Contains("feature index 3"));
  CHECK_THROWS_WITH(fails("1 2:1 1:1\n"), Catch::Contains(":1") && Catch::Contains("must increase"));
  CHECK_THROWS_WITH(fails("x 0:1\n"), Catch::Contains("the label 'x' is not a number"));
  CHECK_THROWS_WITH(fails("1 0-1\n"), Catch::Contains("'0-1' is not index:value"));
  CHECK_THROWS_WITH(fails("1 0:z\n"), Catch::Contains("the value 'z'"));
  CHECK_THROWS_WITH(io::LibSVMIter({.data_libsvm = "/nonexistent/file", .data_shape = 3}),
                    Catch::Contains("/nonexistent/file"));
  CHECK_THROWS_WITH(fails("1 0:1\n", 0), Catch::Contains("data_shape"));
}
