// Sparse arrays in MXNet's NDArray files: the bytes MXNet's NDArray::Save writes for a CSR array, round trips
// of dense and sparse arrays together, and malformed files.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <iterator>

#include <mx/mx.h>

#include "../temp_path.h"
#include "test_util.h"

using namespace mx;
namespace sp = mx::nd::sparse;

namespace {
std::vector<char> file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
template <class T>
void put(std::vector<char>& out, T value) {
  const char* p = reinterpret_cast<const char*>(&value);
  out.insert(out.end(), p, p + sizeof value);
}
}  // namespace

TEST_CASE("a CSR array is saved as MXNet's NDArray::Save writes it") {
  // [[0, 1.5], [2, 0]]
  const CSRNDArray a = sp::csr_matrix({1.5, 2}, {1, 0}, {0, 1, 2}, Shape{2, 2}, DType::kFloat32, cpu());
  const std::string path = test::temp_path("csr.nd");
  sp::save(path, std::vector<sp::AnyArray>{a});
  std::vector<char> want;
  put<std::uint64_t>(want, 0x112);
  put<std::uint64_t>(want, 0);
  put<std::uint64_t>(want, 1);
  put<std::uint32_t>(want, 0xF993FAC9);  // V2
  put<std::int32_t>(want, 2);            // kCSRStorage
  put<std::int32_t>(want, 1);            // storage shape (nnz,)
  put<std::int64_t>(want, 2);
  put<std::int32_t>(want, 2);  // shape
  put<std::int64_t>(want, 2);
  put<std::int64_t>(want, 2);
  put<std::int32_t>(want, 1);  // cpu
  put<std::int32_t>(want, 0);
  put<std::int32_t>(want, 0);  // float32
  put<std::int32_t>(want, 6);  // indptr: int64 (3,)
  put<std::int32_t>(want, 1);
  put<std::int64_t>(want, 3);
  put<std::int32_t>(want, 6);  // indices: int64 (2,)
  put<std::int32_t>(want, 1);
  put<std::int64_t>(want, 2);
  put<float>(want, 1.5f);
  put<float>(want, 2.0f);
  for (std::int64_t v : {0, 1, 2}) put<std::int64_t>(want, v);
  for (std::int64_t v : {1, 0}) put<std::int64_t>(want, v);
  put<std::uint64_t>(want, 0);  // no names
  CHECK(file_bytes(path) == want);
  CHECK_THROWS_WITH(nd::load(path), Catch::Contains("sparse") && Catch::Contains("nd::sparse::load"));
}

TEST_CASE("dense, CSR and row-sparse arrays round-trip together, by name") {
  const std::string path = test::temp_path("mixed.nd");
  const NDArray dense = nd::array({1, 2, 3});
  const CSRNDArray csr = sp::csr_matrix({1, 2, 3}, {0, 2, 1}, {0, 2, 2, 3}, Shape{3, 4}, DType::kFloat64, cpu());
  const RowSparseNDArray rsp = sp::row_sparse_array({1, 2, 3, 4, 5, 6, 7, 8}, {0, 3}, Shape{5, 2, 2});
  sp::save(path, std::map<std::string, sp::AnyArray>{{"dense", dense}, {"csr", csr}, {"rsp", rsp}});
  const auto loaded = sp::load(path).dict();
  test::check_array(std::get<NDArray>(loaded.at("dense")), Shape{3}, {1, 2, 3});
  const CSRNDArray& c = std::get<CSRNDArray>(loaded.at("csr"));
  CHECK(c.dtype() == DType::kFloat64);
  test::check_array(c.todense(), Shape{3, 4}, {1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 0, 0});
  const RowSparseNDArray& r = std::get<RowSparseNDArray>(loaded.at("rsp"));
  CHECK(r.indices().asnumpy<std::int64_t>() == std::vector<std::int64_t>{0, 3});
  test::check_array(r.todense(), Shape{5, 2, 2}, {1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0});
  // The dense API still reads files without sparse arrays.
  sp::save(path, std::vector<sp::AnyArray>{dense});
  test::check_array(nd::load(path).arrays.at(0), Shape{3}, {1, 2, 3});
}

TEST_CASE("a malformed sparse array in a file is a FormatError naming the file and the array") {
  const std::string path = test::temp_path("bad_csr.nd");
  sp::save(path, std::vector<sp::AnyArray>{nd::array({1}), sp::csr_matrix({1.5, 2}, {1, 0}, {0, 1, 2}, Shape{2, 2})});
  std::vector<char> bytes = file_bytes(path);
  // The last column index (just before the name count) made out of range.
  const std::int64_t bad = 7;
  std::memcpy(bytes.data() + bytes.size() - 16, &bad, sizeof bad);
  std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  CHECK_THROWS_AS(sp::load(path), FormatError);
  CHECK_THROWS_WITH(sp::load(path), Catch::Contains(path) && Catch::Contains("array 1") &&
                                        Catch::Contains("column index 7"));
  bytes.resize(bytes.size() - 20);  // truncated inside the indices
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  CHECK_THROWS_WITH(sp::load(path), Catch::Contains("array 1") && Catch::Contains("needs more data"));
}
