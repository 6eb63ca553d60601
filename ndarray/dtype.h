#pragma once
// Element types of arrays. The numeric codes are MXNet's (mshadow's type flags), which its .params files store.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <mx/ndarray/half.h>

namespace mx {

enum class DType : std::int32_t {
  kFloat32 = 0,
  kFloat64 = 1,
  kFloat16 = 2,
  kUint8 = 3,
  kInt32 = 4,
  kInt8 = 5,
  kInt64 = 6,
  kBool = 7,
  kBFloat16 = 12,
};

std::size_t dtype_size(DType dtype);
// NumPy's names: "float32", "float16", "bfloat16", "int64", "bool"...
const char* dtype_name(DType dtype);
// The inverse of dtype_name; throws mx::DTypeError naming the text.
DType dtype_from_name(std::string_view name);
// A code read from a file or a caller; throws mx::DTypeError for codes mxpp has no type for.
DType dtype_from_code(std::int32_t code);
bool is_floating(DType dtype);

// The DType of a C++ element type.
template <class T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::kFloat32; }
template <> constexpr DType dtype_of<double>() { return DType::kFloat64; }
template <> constexpr DType dtype_of<float16>() { return DType::kFloat16; }
template <> constexpr DType dtype_of<bfloat16>() { return DType::kBFloat16; }
template <> constexpr DType dtype_of<std::uint8_t>() { return DType::kUint8; }
template <> constexpr DType dtype_of<std::int8_t>() { return DType::kInt8; }
template <> constexpr DType dtype_of<std::int32_t>() { return DType::kInt32; }
template <> constexpr DType dtype_of<std::int64_t>() { return DType::kInt64; }
template <> constexpr DType dtype_of<bool>() { return DType::kBool; }

// Calls fn(T{}) with the C++ type of `dtype`: the one place that turns a runtime dtype into a template.
template <class Fn>
decltype(auto) dispatch_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::kFloat32: return fn(float{});
    case DType::kFloat64: return fn(double{});
    case DType::kFloat16: return fn(float16{});
    case DType::kBFloat16: return fn(bfloat16{});
    case DType::kUint8: return fn(std::uint8_t{});
    case DType::kInt8: return fn(std::int8_t{});
    case DType::kInt32: return fn(std::int32_t{});
    case DType::kInt64: return fn(std::int64_t{});
    case DType::kBool: return fn(bool{});
  }
  return fn(float{});  // unreachable for a valid DType
}

}  // namespace mx
