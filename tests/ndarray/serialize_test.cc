// nd::save / nd::load: round trips, MXNet's byte layout, atomic replacement, and every broken file a clear error.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto* p = reinterpret_cast<const std::byte*>(chars.data());
  return {p, p + chars.size()};
}

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("mxpp-serialize-" + std::to_string(::getpid()));
  TempDir() { fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

const fs::path kCorpus = MXPP_LOAD_CORPUS;

}  // namespace

TEST_CASE("a list and a dict of arrays of every dtype round-trip", "[ndarray][serialize]") {
  TempDir dir;
  std::vector<NDArray> arrays;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16, DType::kUint8,
                      DType::kInt8, DType::kInt32, DType::kInt64, DType::kBool}) {
    arrays.push_back(nd::array({1, 0, 3, 4, 5, 6}, Shape{2, 3}, cpu(), dtype));
  }
  arrays.push_back(nd::full({}, 2.5));
  arrays.push_back(nd::zeros({0, 4}));
  nd::save((dir.path / "list.nd").string(), arrays);
  nd::LoadedArrays loaded = nd::load((dir.path / "list.nd").string());
  REQUIRE(loaded.arrays.size() == arrays.size());
  CHECK(loaded.names.empty());
  for (std::size_t i = 0; i < arrays.size(); ++i) {
    INFO(i);
    CHECK(loaded.arrays[i].shape() == arrays[i].shape());
    CHECK(loaded.arrays[i].dtype() == arrays[i].dtype());
    CHECK(loaded.arrays[i].asnumpy<double>() == arrays[i].asnumpy<double>());
  }
  CHECK_THROWS_AS(loaded.dict(), FormatError);

  nd::save((dir.path / "dict.params").string(), {{"dense0.weight", nd::ones({2, 2})}, {"dense0.bias", nd::zeros({2})}});
  auto dict = nd::load((dir.path / "dict.params").string()).dict();
  REQUIRE(dict.size() == 2);
  CHECK(dict.at("dense0.weight").asnumpy<float>() == std::vector<float>{1, 1, 1, 1});
  CHECK(dict.at("dense0.bias").shape() == Shape{2});
}

TEST_CASE("saved bytes follow MXNet's layout exactly", "[ndarray][serialize]") {
  TempDir dir;
  nd::save((dir.path / "one.nd").string(), {{"w", nd::array({1, 2}, Shape{1, 2})}});
  const std::vector<std::byte> bytes = read_bytes(dir.path / "one.nd");
  // list magic, reserved, count; V2 magic, dense, ndim 2, extents 1 and 2; cpu(0); float32; 1.0f, 2.0f;
  // one name of one byte, "w".
  const std::vector<std::uint8_t> expected = {
      0x12, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0,
      0xC9, 0xFA, 0x93, 0xF9, 0, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
      1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40,
      1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 'w'};
  REQUIRE(bytes.size() == expected.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    INFO("byte " << i);
    CHECK(static_cast<std::uint8_t>(bytes[i]) == expected[i]);
  }
}

TEST_CASE("files in every MXNet version of the format load", "[ndarray][serialize]") {
  auto v2 = nd::load((kCorpus / "valid_v2_list").string());
  REQUIRE(v2.arrays.size() == 2);
  CHECK(v2.arrays[0].asnumpy<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK(v2.arrays[1].dtype() == DType::kInt32);
  CHECK(v2.arrays[1].asnumpy<int>() == std::vector<int>{7, 8, 9});
  auto dict = nd::load((kCorpus / "valid_v2_dict").string()).dict();
  CHECK(dict.at("arg:weight").asscalar<double>() == 2.5);
  CHECK(dict.at("aux:mean").asnumpy<std::int64_t>() == std::vector<std::int64_t>{-1, std::int64_t{1} << 40});
  auto scalar = nd::load((kCorpus / "valid_v3_scalar").string());
  CHECK(scalar.arrays[0].shape() == Shape{});
  CHECK(scalar.arrays[0].asscalar<float>() == 42);
  auto v1 = nd::load((kCorpus / "valid_v1").string());
  CHECK(v1.arrays[0].dtype() == DType::kFloat16);
  CHECK(v1.arrays[0].asnumpy<float>() == std::vector<float>{1, -2});
  auto legacy = nd::load((kCorpus / "valid_legacy").string());
  CHECK(legacy.arrays[0].shape() == Shape{2, 1});
  CHECK(legacy.arrays[0].asnumpy<int>() == std::vector<int>{5, 250});
  CHECK(nd::load((kCorpus / "valid_none").string()).arrays[0].is_none());
}

TEST_CASE("broken and foreign files give a clear error naming the file", "[ndarray][serialize][errors]") {
  const std::pair<const char*, const char*> cases[] = {
      {"bad_magic", "not an MXNet NDArray file"}, {"truncated_data", "truncated"},
      {"huge_count", "claims"},                   {"huge_shape", "needs more data"},
      {"negative_extent", "negative extent"},     {"bad_dtype", "dtype code 99"},
      {"sparse", "truncated"},                    {"names_mismatch", "2 names for 1 arrays"},
      {"huge_name", "longer than the rest"},      {"trailing_bytes", "unexpected bytes"},
      {"empty", "truncated"}};
  for (auto [file, why] : cases) {
    INFO(file);
    const std::string path = (kCorpus / file).string();
    CHECK_THROWS_AS(nd::load(path), FormatError);
    CHECK_THROWS_WITH(nd::load(path), Contains(path) && Contains(why));
  }
  CHECK_THROWS_WITH(nd::load("/nonexistent/x.params"), Contains("/nonexistent/x.params"));
}

TEST_CASE("every truncation of a valid file is an error, never a crash", "[ndarray][serialize][errors]") {
  const std::vector<std::byte> bytes = read_bytes(kCorpus / "valid_v2_dict");
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    INFO(size);
    CHECK_THROWS_AS(nd::load_from_bytes(std::span(bytes.data(), size), "prefix"), FormatError);
  }
}

TEST_CASE("a failed save leaves the existing file intact", "[ndarray][serialize][errors]") {
  TempDir dir;
  const std::string path = (dir.path / "keep.params").string();
  nd::save(path, {nd::ones({2})});
  NDArray failed = nd::softmax_cross_entropy(nd::zeros({1, 2}), nd::array({5}));  // fails inside the engine
  CHECK_THROWS_AS(nd::save(path, {failed}), OperatorError);
  CHECK(nd::load(path).arrays[0].asnumpy<float>() == std::vector<float>{1, 1});
  CHECK_THROWS_WITH(nd::save((dir.path / "missing" / "x.params").string(), {nd::ones({1})}), Contains("missing"));
  for (const auto& entry : fs::directory_iterator(dir.path)) {
    CHECK(entry.path().filename().string().find(".tmp-") == std::string::npos);  // no temporary left behind
  }
}

TEST_CASE("the fuzzing corpus parses without crashing", "[ndarray][serialize][fuzz]") {
  extern int run_fuzz_entry(const std::vector<std::byte>& bytes);
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(kCorpus)) {  // fuzzed/: what libFuzzer kept
    if (!entry.is_regular_file() || entry.path().extension() == ".py" || entry.path().extension() == ".md") continue;
    ++files;
    INFO(entry.path());
    CHECK(run_fuzz_entry(read_bytes(entry.path())) == 0);
  }
  CHECK(files > 200);
}
