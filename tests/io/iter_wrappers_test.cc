// ResizeIter and PrefetchingIter over NDArrayIters: the batches they pass on, renames, and errors.
#include <catch2/catch.hpp>

#include <mx/mx.h>

using namespace mx;

namespace {
// Iterator over samples 0..n-1 (label i), batches of 2, as a shared pointer the wrappers take.
std::shared_ptr<io::NDArrayIter> counting(int n, const std::string& name = "data") {
  return std::make_shared<io::NDArrayIter>(
      io::NamedArrays{{name, nd::arange(0, n)}}, io::NamedArrays{{name + "_label", nd::arange(0, n)}},
      io::NDArrayIterOptions{.batch_size = 2});
}
std::vector<double> first_labels(io::DataIter& it, int batches) {
  std::vector<double> out;
  for (int b = 0; b < batches && it.next(); ++b) out.push_back(it.getlabel().at(0).asnumpy<double>().at(0));
  return out;
}

// Throws at its second batch.
class FailingIter : public io::DataIter {
 public:
  FailingIter() : DataIter(2) {}
  bool next() override {
    if (++calls_ == 2) throw Error("FailingIter: the disk went away");
    batch_ = {{nd::zeros({2})}, {}, 0};
    return calls_ < 4;
  }
  void reset() override { calls_ = 0; }
  std::vector<io::DataDesc> provide_data() const override { return {{"data", Shape{2}}}; }
  std::vector<io::DataDesc> provide_label() const override { return {}; }

 private:
  int calls_ = 0;
};
}  // namespace

TEST_CASE("ResizeIter gives passes of a fixed number of batches, restarting the iterator it wraps") {
  io::ResizeIter it(counting(6), 5);  // the wrapped pass holds 3 batches: 0, 2, 4
  CHECK(it.batch_size() == 2);
  CHECK(it.provide_data().at(0).shape == Shape{2});
  CHECK(first_labels(it, 10) == std::vector<double>{0, 2, 4, 0, 2});
  CHECK_FALSE(it.next());
  it.reset();  // reset_internal: the wrapped iterator starts over too
  CHECK(first_labels(it, 2) == std::vector<double>{0, 2});

  io::ResizeIter going_on(counting(6), 2, false);
  CHECK(first_labels(going_on, 10) == std::vector<double>{0, 2});
  going_on.reset();
  CHECK(first_labels(going_on, 10) == std::vector<double>{4, 0});
}

TEST_CASE("ResizeIter refuses a wrapped iterator with no batches") {
  auto empty = std::make_shared<io::NDArrayIter>(nd::arange(0, 1), NDArray(),
                                                 io::NDArrayIterOptions{.batch_size = 2, .last_batch_handle = io::LastBatchHandle::kDiscard});
  io::ResizeIter it(empty, 3);
  CHECK_THROWS_WITH(it.next(), Catch::Contains("gives no batch even after reset"));
}

TEST_CASE("PrefetchingIter joins iterators batch by batch, the same batches as each alone") {
  io::PrefetchingIter it({counting(6, "a"), counting(6, "b")}, {{{"a", "image"}}}, {{}, {{"b_label", "target"}}});
  const auto data = it.provide_data(), label = it.provide_label();
  REQUIRE(data.size() == 2);
  CHECK(data[0].name == "image");
  CHECK(data[1].name == "b");
  REQUIRE(label.size() == 2);
  CHECK(label[0].name == "a_label");
  CHECK(label[1].name == "target");
  for (int pass = 0; pass < 2; ++pass, it.reset()) {
    std::vector<std::vector<double>> seen;
    for (const io::DataBatch& batch : it) {
      REQUIRE(batch.data.size() == 2);
      REQUIRE(batch.label.size() == 2);
      CHECK(batch.data[0].asnumpy<double>() == batch.data[1].asnumpy<double>());
      seen.push_back(batch.label[1].asnumpy<double>());
    }
    CHECK(seen == std::vector<std::vector<double>>{{0, 1}, {2, 3}, {4, 5}});
  }
}

TEST_CASE("PrefetchingIter raises the error of the batch it fetched ahead at the next() that returns it") {
  io::PrefetchingIter it({std::make_shared<FailingIter>()});
  REQUIRE(it.next());
  CHECK_THROWS_WITH(it.next(), Catch::Contains("the disk went away"));
  CHECK_FALSE(it.next());
  it.reset();  // the wrapped iterator starts over and fails at the same place again
  REQUIRE(it.next());
  CHECK_THROWS_WITH(it.next(), Catch::Contains("the disk went away"));
}

TEST_CASE("PrefetchingIter refuses iterators out of step") {
  CHECK_THROWS_WITH(io::PrefetchingIter({counting(6), std::make_shared<io::NDArrayIter>(nd::arange(0, 6), NDArray(),
                                                                                         io::NDArrayIterOptions{.batch_size = 3})}),
                    Catch::Contains("iterator 1 has batch_size 3, iterator 0 2"));
  io::PrefetchingIter uneven({counting(6), counting(4)});
  CHECK(uneven.next());
  CHECK(uneven.next());
  CHECK_THROWS_WITH(uneven.next(), Catch::Contains("passes differ in length: 1 of 2 ended first"));
  CHECK_THROWS_WITH(io::PrefetchingIter({}), Catch::Contains("no iterators"));
}
