// Datasets, samplers and the DataLoader; the IDX parser on small generated files, gzipped or not, whole or cut.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <stdexcept>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace data = gluon::data;

namespace {

// The first field of every batch, as host rows.
std::vector<std::vector<double>> first_fields(data::DataLoader& loader) {
  std::vector<std::vector<double>> out;
  for (auto [x, y] : loader) out.push_back(test::values(x));
  return out;
}

}  // namespace

TEST_CASE("ArrayDataset splits arrays along the first axis, transform_first is lazy", "[gluon][data]") {
  const data::ArrayDataset dataset(nd::arange(6).reshape({3, 2}), nd::array({7, 8, 9}));
  REQUIRE(dataset.size() == 3);
  const data::Sample s = dataset.get(1);
  test::check_array(s[0], {2}, {2, 3});
  test::check_array(s[1], {}, {8});
  int calls = 0;
  const auto doubled = dataset.transform_first([&](const NDArray& x) {
    ++calls;
    return x * 2.0;
  });
  CHECK(calls == 0);
  const data::Sample transformed = doubled.get(2);
  test::check_array(transformed[0], {2}, {8, 10});
  test::check_array(transformed[1], {}, {9});
  CHECK(calls == 1);
  CHECK_THROWS_WITH(dataset.get(3), Contains("index 3"));
  CHECK_THROWS_AS(data::ArrayDataset(nd::ones({3}), nd::ones({4})), ShapeError);
}

TEST_CASE("BatchSampler keeps, discards or rolls over the last batch", "[gluon][data]") {
  auto sequential = std::make_shared<data::SequentialSampler>(5);
  data::BatchSampler keep(sequential, 2, data::LastBatch::kKeep);
  CHECK(keep.size() == 3);
  CHECK(keep.batches() == std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}, {4}});
  data::BatchSampler discard(sequential, 2, data::LastBatch::kDiscard);
  CHECK(discard.batches() == std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}});
  data::BatchSampler rollover(sequential, 2, data::LastBatch::kRollover);
  CHECK(rollover.batches() == std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}});
  CHECK(rollover.size() == 3);  // the leftover 4 starts the next epoch
  CHECK(rollover.batches() == std::vector<std::vector<std::size_t>>{{4, 0}, {1, 2}, {3, 4}});
  random::seed(1);
  data::RandomSampler shuffled(10);
  std::vector<std::size_t> order = shuffled.indices();
  CHECK(order != shuffled.indices());  // a new order each epoch
  std::sort(order.begin(), order.end());
  std::vector<std::size_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  CHECK(order == all);
  CHECK_THROWS_WITH(data::last_batch_from_name("drop"), Contains("drop"));
}

TEST_CASE("DataLoader batches in order, and workers do not change the batches", "[gluon][data]") {
  const data::ArrayDataset dataset(nd::arange(20).reshape({10, 2}), nd::arange(10));
  data::DataLoader loader(dataset, {.batch_size = 4});
  CHECK(loader.size() == 3);
  std::vector<Shape> shapes;
  for (auto [x, y] : loader) {
    shapes.push_back(x.shape());
    CHECK(y.shape() == Shape{x.shape()[0]});
  }
  CHECK(shapes == std::vector<Shape>{{4, 2}, {4, 2}, {2, 2}});
  const auto serial = first_fields(loader);
  for (int workers : {1, 3}) {
    data::DataLoader parallel(dataset, {.batch_size = 4, .num_workers = workers, .prefetch = 2});
    CHECK(first_fields(parallel) == serial);
  }
  // Shuffled epochs under one seed are the same whatever the worker count.
  random::seed(3);
  data::DataLoader shuffled(dataset, {.batch_size = 3, .shuffle = true, .last_batch = data::LastBatch::kDiscard});
  const auto first = first_fields(shuffled);
  CHECK(first.size() == 3);
  random::seed(3);
  data::DataLoader shuffled_workers(dataset, {.batch_size = 3, .shuffle = true, .last_batch = data::LastBatch::kDiscard,
                                              .num_workers = 2});
  CHECK(first_fields(shuffled_workers) == first);
  // Leaving an epoch early is fine: the workers finish and the next epoch starts afresh.
  data::DataLoader early(dataset, {.batch_size = 2, .num_workers = 2});
  for (auto [x, y] : early) break;
  CHECK(first_fields(early).size() == 5);
}

TEST_CASE("DataLoader surfaces a transform's error at the batch that failed", "[gluon][data]") {
  const data::ArrayDataset dataset(nd::arange(8));
  const auto failing = dataset.transform_first([](const NDArray& x) -> NDArray {
    if (x.asscalar<float>() == 5) throw std::runtime_error("bad sample 5");
    return x;
  });
  for (int workers : {0, 2}) {
    data::DataLoader loader(failing, {.batch_size = 2, .num_workers = workers});
    int seen = 0;
    auto run = [&] {
      for (auto [x, y] : loader) ++seen;
    };
    CHECK_THROWS_WITH(run(), Contains("bad sample 5"));
    CHECK(seen == 2);
  }
  CHECK_THROWS_WITH(data::DataLoader(dataset, {}), Contains("batch_size"));
}

TEST_CASE("transforms: ToTensor, Normalize, Compose", "[gluon][data]") {
  using namespace data::vision::transforms;
  const NDArray image = nd::array({0, 255, 51, 102}, Shape{1, 2, 2}, cpu(), DType::kUint8).reshape({2, 1, 2});  // H W C
  const NDArray tensor = ToTensor()(image);
  CHECK(tensor.dtype() == DType::kFloat32);
  test::check_array(tensor, {2, 2, 1}, {0, 51 / 255.0, 1, 102 / 255.0}, 1e-6);
  test::check_array(Normalize({0.5, 0}, {0.5, 2})(nd::array({1, 0, 4, 2}, Shape{2, 2, 1})), {2, 2, 1}, {1, -1, 2, 1});
  auto trans = Compose({ToTensor(), Normalize(0.5, 0.5)});
  test::check_array(trans(nd::array({255, 0}, Shape{1, 2, 1}, cpu(), DType::kUint8)), {1, 1, 2}, {1, -1});
  CHECK_THROWS_WITH(Normalize({1, 2, 3}, {1})(tensor), Contains("normalize"));
}

namespace {

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb");
    gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
}

// An IDX file of n images of 2x3 (pixel values i * 6 + k) or of n labels (i % 10).
std::vector<std::uint8_t> idx(bool images, std::uint8_t n) {
  std::vector<std::uint8_t> b = images ? std::vector<std::uint8_t>{0, 0, 8, 3, 0, 0, 0, n, 0, 0, 0, 2, 0, 0, 0, 3}
                                       : std::vector<std::uint8_t>{0, 0, 8, 1, 0, 0, 0, n};
  for (int i = 0; i < n; ++i) {
    if (images) {
      for (int k = 0; k < 6; ++k) b.push_back(static_cast<std::uint8_t>(i * 6 + k));
    } else {
      b.push_back(static_cast<std::uint8_t>(i % 10));
    }
  }
  return b;
}

}  // namespace

TEST_CASE("MNIST-format files load gzipped or not, bad files are clear errors", "[gluon][data][io]") {
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "mxpp_idx";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);
  for (bool gzip : {true, false}) {
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    const std::string suffix = gzip ? ".gz" : "";
    write_bytes(root / ("train-images-idx3-ubyte" + suffix), idx(true, 4), gzip);
    write_bytes(root / ("train-labels-idx1-ubyte" + suffix), idx(false, 4), gzip);
    const data::vision::FashionMNIST mnist(root.string());
    REQUIRE(mnist.size() == 4);
    const data::Sample s = mnist.get(2);
    CHECK(s[0].shape() == Shape{2, 3, 1});
    CHECK(s[0].dtype() == DType::kUint8);
    test::check_array(s[0], {2, 3, 1}, {12, 13, 14, 15, 16, 17});
    CHECK(s[1].dtype() == DType::kInt32);
    test::check_array(s[1], {}, {2});
  }
  // Truncated, foreign, disagreeing and missing files.
  auto cut = idx(true, 4);
  cut.resize(cut.size() - 5);
  write_bytes(root / "train-images-idx3-ubyte", cut, false);
  CHECK_THROWS_WITH(data::vision::MNIST(root.string()), Contains("truncated") && Contains("train-images-idx3-ubyte"));
  // A header that promises 13 GB in a file of a few bytes: truncated, without allocating what it promised.
  auto liar = idx(true, 4);
  liar[4] = 1, liar[5] = liar[6] = liar[7] = 0;  // 16,777,216 images
  liar[11] = 28, liar[15] = 28;
  write_bytes(root / "train-images-idx3-ubyte", liar, false);
  CHECK_THROWS_WITH(data::vision::MNIST(root.string()), Contains("truncated") && Contains("needs 13153337344 bytes"));
  auto foreign = idx(true, 4);
  foreign[2] = 0x0D;
  write_bytes(root / "train-images-idx3-ubyte", foreign, false);
  CHECK_THROWS_WITH(data::vision::MNIST(root.string()), Contains("not an IDX file"));
  write_bytes(root / "train-images-idx3-ubyte", idx(true, 3), false);
  CHECK_THROWS_WITH(data::vision::MNIST(root.string()), Contains("3 images") && Contains("4 labels"));
  CHECK_THROWS_WITH(data::vision::FashionMNIST((root / "nowhere").string()),
                    Contains("nowhere/train-images-idx3-ubyte") && Contains("dataset-fashion-mnist"));
  std::filesystem::remove_all(root);
}

TEST_CASE("split_and_load, split_data and clip_global_norm", "[gluon][utils]") {
  const NDArray x = nd::arange(10).reshape({5, 2});
  const auto parts = gluon::utils::split_data(x, 2, 0, /*even_split=*/false);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].shape() == Shape{3, 2});
  CHECK_THROWS_WITH(gluon::utils::split_data(x, 2), Contains("evenly"));
  const auto loaded = gluon::utils::split_and_load(nd::arange(4), {cpu(0), cpu(1)});
  CHECK(loaded[1].context() == cpu(1));
  test::check_array(loaded[1], {2}, {2, 3});
  std::vector<NDArray> grads = {nd::array({3, 0}), nd::array({4})};
  CHECK(gluon::utils::clip_global_norm(grads, 1) == Approx(5));
  test::check_array(grads[0], {2}, {0.6, 0}, 1e-6);
  test::check_array(grads[1], {1}, {0.8}, 1e-6);
}

TEST_CASE("CIFAR binary files load with HWC images, truncated ones are clear errors", "[gluon][data][io]") {
  const std::filesystem::path root = std::filesystem::temp_directory_path() / "mxpp_cifar";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root / "cifar-10-batches-bin");
  // Record r of a file: label r + 1, then the R, G, B planes holding 0, 1, 2 (pixel 0 of R holds the label).
  auto records = [](int count, int label_bytes) {
    std::vector<std::uint8_t> bytes;
    for (int r = 0; r < count; ++r) {
      for (int l = 0; l < label_bytes; ++l) bytes.push_back(static_cast<std::uint8_t>(r + 1 + 10 * l));
      for (int c = 0; c < 3; ++c) {
        for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<std::uint8_t>(p == 0 && c == 0 ? 200 : c));
      }
    }
    return bytes;
  };
  for (int b = 1; b <= 5; ++b) write_bytes(root / "cifar-10-batches-bin" / ("data_batch_" + std::to_string(b) + ".bin"), records(2, 1), false);
  write_bytes(root / "cifar-10-batches-bin" / "test_batch.bin", records(3, 1), false);
  const data::vision::CIFAR10 train(root.string());
  REQUIRE(train.size() == 10);
  const data::Sample s = train.get(1);
  CHECK(s[0].shape() == Shape{32, 32, 3});
  const std::vector<double> pixels = test::values(s[0]);
  CHECK(std::vector<double>(pixels.begin(), pixels.begin() + 6) == std::vector<double>{200, 1, 2, 0, 1, 2});
  test::check_array(s[1], {}, {2});
  CHECK(data::vision::CIFAR10(root.string(), false).size() == 3);
  write_bytes(root / "train.bin", records(2, 2), false);
  write_bytes(root / "test.bin", records(1, 2), false);
  test::check_array(data::vision::CIFAR100(root.string(), /*fine_label=*/true).get(1)[1], {}, {12});
  test::check_array(data::vision::CIFAR100(root.string(), /*fine_label=*/false).get(1)[1], {}, {2});
  auto cut = records(2, 1);
  cut.pop_back();
  write_bytes(root / "cifar-10-batches-bin" / "test_batch.bin", cut, false);
  CHECK_THROWS_WITH(data::vision::CIFAR10(root.string(), false), Contains("test_batch.bin") && Contains("truncated"));
  CHECK_THROWS_WITH(data::vision::CIFAR10((root / "none").string()), Contains("data_batch_1.bin") && Contains("not found"));
  std::filesystem::remove_all(root);
}

TEST_CASE("a batchable transform_first runs once per batch with the same values as per sample", "[gluon][data]") {
  using namespace data::vision::transforms;
  random::seed(9);
  const NDArray images = nd::floor(nd::random::uniform(0, 256, {10, 4, 4, 3})).astype(DType::kUint8);
  const data::ArrayDataset dataset(images, nd::arange(10));
  const Compose trans({ToTensor(), Normalize({0.1, 0.2, 0.3}, {0.5, 0.6, 0.7})});
  CHECK(trans.batchable());
  CHECK_FALSE(Compose({ToTensor(), RandomFlipLeftRight()}).batchable());
  const auto batched = dataset.transform_first(trans);
  CHECK(batched.batch_first());
  const auto per_sample = dataset.transform_first(data::Transform(trans));  // type-erased: per sample
  CHECK_FALSE(per_sample.batch_first());
  data::DataLoader fast(batched, {.batch_size = 4, .num_workers = 2}), slow(per_sample, {.batch_size = 4});
  const auto a = first_fields(fast), b = first_fields(slow);
  REQUIRE(a.size() == 3);
  for (std::size_t i = 0; i < a.size(); ++i) {
    REQUIRE(a[i].size() == b[i].size());
    for (std::size_t j = 0; j < a[i].size(); ++j) CHECK(a[i][j] == Approx(b[i][j]).epsilon(1e-6));
  }
}

TEST_CASE("DataLoader delivers batches on its context, by default the current one", "[gluon][data][context]") {
  const data::ArrayDataset dataset(nd::arange(8).reshape({4, 2}), nd::arange(4));
  for (int workers : {0, 2}) {
    std::optional<data::DataLoader> loader;
    {
      context_scope scope(cpu(1));
      loader.emplace(dataset, data::DataLoaderOptions{.batch_size = 2, .num_workers = workers});
    }
    std::vector<float> seen;
    for (auto [x, y] : *loader) {
      CHECK(x.context() == cpu(1));
      CHECK(y.context() == cpu(1));
      for (float v : x.asnumpy<float>()) seen.push_back(v);
    }
    CHECK(seen == std::vector<float>{0, 1, 2, 3, 4, 5, 6, 7});
  }
  data::DataLoader explicit_ctx(dataset, {.batch_size = 4, .ctx = cpu(2)});
  for (auto [x, y] : explicit_ctx) CHECK(x.context() == cpu(2));
  data::DataLoader host(dataset, {.batch_size = 4});
  for (auto [x, y] : host) CHECK(x.context() == cpu(0));
}

TEST_CASE("IntervalSampler takes every interval-th index, then rolls over to the next start", "[gluon][data]") {
  gluon::data::IntervalSampler rolling(10, 3);
  CHECK(rolling.indices() == std::vector<std::size_t>{0, 3, 6, 9, 1, 4, 7, 2, 5, 8});
  CHECK(rolling.size() == 10);
  gluon::data::IntervalSampler once(10, 3, /*rollover=*/false);
  CHECK(once.indices() == std::vector<std::size_t>{0, 3, 6, 9});
  CHECK(once.size() == 4);
  CHECK_THROWS_WITH(gluon::data::IntervalSampler(3, 3), Catch::Contains("interval"));
}
