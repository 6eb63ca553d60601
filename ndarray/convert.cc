#include <mx/ndarray/convert.h>

#include <cstring>
#include <type_traits>

#include <mx/ndarray/target_clones.h>

namespace mx {
namespace {

template <class To, class From>
void convert_loop(const From* in, To* out, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) out[i] = convert_value<To>(in[i]);
}

// Between float and the 16-bit floats, the conversions of every mixed-precision step (amp's casts, the widened
// products): built for three instruction sets, at -O3 (ndarray/CMakeLists.txt), where they vectorize.
template <class To, class From>
MX_SIMD_CLONES void convert_loop_vectorized(const From* in, To* out, std::size_t count) {
  convert_loop(in, out, count);
}

template <class T>
constexpr bool kHalf = std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>;

}  // namespace

void convert_values(const void* src, DType src_dtype, void* dst, DType dst_dtype, std::size_t count) {
  if (src_dtype == dst_dtype) {
    std::memcpy(dst, src, count * dtype_size(src_dtype));
    return;
  }
  dispatch_dtype(src_dtype, [&](auto from_tag) {
    using From = decltype(from_tag);
    dispatch_dtype(dst_dtype, [&](auto to_tag) {
      using To = decltype(to_tag);
      const From* in = static_cast<const From*>(src);
      To* out = static_cast<To*>(dst);
      if constexpr ((std::is_same_v<From, float> && kHalf<To>) || (kHalf<From> && std::is_same_v<To, float>)) {
        convert_loop_vectorized(in, out, count);
      } else {
        convert_loop(in, out, count);
      }
    });
  });
}

}  // namespace mx
