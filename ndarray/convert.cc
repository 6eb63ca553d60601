#include <mx/ndarray/convert.h>

#include <cstring>

namespace mx {

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
      for (std::size_t i = 0; i < count; ++i) out[i] = convert_value<To>(in[i]);
    });
  });
}

}  // namespace mx
