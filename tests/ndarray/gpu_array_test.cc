// Arrays on a GPU: pooled device storage, copies between contexts, printing, the default-context scope.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include <mx/mx.h>
#include <mx/ndarray/device_memory.h>
#include <mx/ndarray/storage.h>

using namespace mx;
using Catch::Matchers::Contains;

TEST_CASE("creation functions fill arrays on the GPU and asnumpy brings them back", "[gpu]") {
  const NDArray ones = nd::ones({5, 3}, gpu(0));
  CHECK(ones.context() == gpu(0));
  CHECK(ones.asnumpy<float>() == std::vector<float>(15, 1.0f));
  CHECK(nd::full({4}, 2.5, gpu(0), DType::kFloat64).asnumpy<double>() == std::vector<double>(4, 2.5));
  CHECK(nd::zeros({3}, gpu(0), DType::kInt32).asnumpy<int>() == std::vector<int>(3, 0));
  CHECK(nd::arange(0, 5, 1, 1, gpu(0)).asnumpy<float>() == std::vector<float>{0, 1, 2, 3, 4});
  const NDArray y = nd::ones({2, 2}, gpu(0)) + 1;
  CHECK(y.sum().asscalar<float>() == 8.0f);
}

TEST_CASE("GPU arrays print their values and their context as MXNet does", "[gpu]") {
  std::ostringstream text;
  text << nd::array(std::vector<float>{1, 2, 3, 4}, Shape{2, 2}, gpu(0));
  CHECK(text.str() == "[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @gpu(0)>");
}

TEST_CASE("copies between the host and the GPU keep values, in either dtype", "[gpu]") {
  const std::vector<float> values = {1.5f, -2, 3.25f, 4, 5, 6};
  const NDArray host = nd::array(values, Shape{2, 3});
  const NDArray on_gpu = host.as_in_context(gpu(0));
  CHECK(on_gpu.context() == gpu(0));
  CHECK(on_gpu.asnumpy<float>() == values);
  CHECK(on_gpu.as_in_context(cpu()).asnumpy<float>() == values);
  NDArray wide(Shape{2, 3}, gpu(0), DType::kFloat64);  // a dtype change on the way in...
  host.copyto(wide);
  CHECK(wide.asnumpy<double>() == std::vector<double>(values.begin(), values.end()));
  NDArray narrow(Shape{2, 3}, cpu(), DType::kFloat16);  // ...and on the way out
  wide.copyto(narrow);
  CHECK(narrow.asnumpy<float>() == values);
  NDArray same_device(Shape{2, 3}, gpu(0));  // device to device
  on_gpu.copyto(same_device);
  CHECK(same_device.asnumpy<float>() == values);
  NDArray written(Shape{3}, gpu(0));
  written.copy_from_host(std::vector<double>{7, 8, 9}.data(), DType::kFloat64, 3);
  CHECK(written.asnumpy<int>() == std::vector<int>{7, 8, 9});
  CHECK_THROWS_WITH(host.copyto(written), Contains("(2, 3)") && Contains("(3,)"));
}

TEST_CASE("pinned host arrays compute on the CPU and copy to the GPU", "[gpu]") {
  const NDArray pinned = nd::ones({1000}, cpu_pinned(0)) * 3;
  CHECK(pinned.context() == cpu_pinned(0));
  CHECK(pinned.as_in_context(gpu(0)).sum().asscalar<double>() == 3000.0);
}

TEST_CASE("the GPU pool reuses released blocks and returns its cache on release_all", "[gpu]") {
  storage::Pool& pool = storage::pool(gpu(0));
  nd::waitall();
  { nd::zeros({1 << 20}, gpu(0)).wait_to_read(); }
  nd::waitall();  // the array's block is back in the cache
  const storage::PoolStats before = pool.stats();
  CHECK(before.cached_bytes >= (std::size_t{4} << 20));
  { nd::zeros({1 << 20}, gpu(0)).wait_to_read(); }
  nd::waitall();
  CHECK(pool.stats().reuses > before.reuses);
  pool.release_all();
  CHECK(pool.stats().cached_bytes == 0);
}

TEST_CASE("running out of GPU memory is an error naming the request and the pool's state", "[gpu]") {
  const std::int64_t huge = std::int64_t{1} << 40;  // 4 TiB of float32
  try {
    nd::zeros({huge}, gpu(0)).wait_to_read();
    FAIL("no error");
  } catch (const Error& e) {
    const std::string text = e.what();
    CHECK_THAT(text, Contains("gpu(0): out of memory allocating 4398046511104 bytes"));
    CHECK_THAT(text, Contains("bytes in use") && Contains("GB free of"));
  }
  CHECK(nd::ones({4}, gpu(0)).sum().asscalar<float>() == 4.0f);  // the pool still works
}

TEST_CASE("a GPU that is not there is refused at the call, naming it", "[gpu]") {
  CHECK_THROWS_WITH(nd::ones({2}, gpu(num_gpus())), Contains("not available"));
}

TEST_CASE("context_scope makes creation functions and initialize() use the GPU", "[gpu]") {
  {
    context_scope on_gpu(gpu(0));
    CHECK(current_context() == gpu(0));
    CHECK(nd::ones({3, 5}).context() == gpu(0));
    CHECK(nd::random::uniform(0, 1, {2}).context() == gpu(0));
    gluon::nn::Dense dense(4, {.in_units = 3});
    dense.initialize();
    CHECK(dense.weight().data().context() == gpu(0));
    CHECK(dense(nd::ones({2, 3})).context() == gpu(0));
    {
      context_scope back(cpu());
      CHECK(nd::ones({1}).context() == cpu());
    }
    CHECK(current_context() == gpu(0));
    std::thread other([] { CHECK(current_context() == cpu()); });  // each thread its own default
    other.join();
  }
  CHECK(current_context() == cpu());
}

TEST_CASE("arrays on two contexts given to one operator are an error naming both", "[gpu]") {
  CHECK_THROWS_WITH(nd::ones({2}) + nd::ones({2}, gpu(0)), Contains("cpu(0)") && Contains("gpu(0)"));
}
