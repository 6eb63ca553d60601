#include <mx/ndarray/dtype.h>

#include <array>

#include <mx/ndarray/error.h>

namespace mx {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  std::size_t size;
  bool floating;
};

constexpr std::array<DTypeInfo, 9> kDTypes = {{
    {DType::kFloat32, "float32", 4, true},
    {DType::kFloat64, "float64", 8, true},
    {DType::kFloat16, "float16", 2, true},
    {DType::kBFloat16, "bfloat16", 2, true},
    {DType::kUint8, "uint8", 1, false},
    {DType::kInt8, "int8", 1, false},
    {DType::kInt32, "int32", 4, false},
    {DType::kInt64, "int64", 8, false},
    {DType::kBool, "bool", 1, false},
}};

const DTypeInfo& info(DType dtype) {
  for (const DTypeInfo& entry : kDTypes) {
    if (entry.dtype == dtype) return entry;
  }
  throw DTypeError("unknown dtype code " + std::to_string(static_cast<int>(dtype)));
}

}  // namespace

std::size_t dtype_size(DType dtype) { return info(dtype).size; }
const char* dtype_name(DType dtype) { return info(dtype).name; }
bool is_floating(DType dtype) { return info(dtype).floating; }

DType dtype_from_name(std::string_view name) {
  for (const DTypeInfo& entry : kDTypes) {
    if (name == entry.name) return entry.dtype;
  }
  std::string known;
  for (const DTypeInfo& entry : kDTypes) known += std::string(known.empty() ? "" : ", ") + entry.name;
  throw DTypeError("unknown dtype '" + std::string(name) + "' (known: " + known + ")");
}

DType dtype_from_code(std::int32_t code) { return info(static_cast<DType>(code)).dtype; }

}  // namespace mx
