#pragma once
// What an operation's compute function sees of an array: its data pointer (already offset for views), shape
// and dtype. Plain values, copied into the pushed closure; the array behind them outlives the operation because
// freeing it is itself an operation ordered after every one pushed on its variable.
#include <cstdint>

#include <mx/ndarray/dtype.h>
#include <mx/ndarray/shape.h>

namespace mx {

struct Blob {
  void* data = nullptr;
  Shape shape;
  DType dtype = DType::kFloat32;

  template <class T>
  T* ptr() const { return static_cast<T*>(data); }
  std::int64_t size() const { return shape.size(); }
};

namespace detail {
class Block;
}

// An array as an operation pushed to the engine holds it: the storage is reserved when the operation resolves
// it, as it runs (NDArray::lazy_blob).
struct LazyBlob {
  detail::Block* block = nullptr;
  std::int64_t byte_offset = 0;  // views
  Shape shape;
  DType dtype = DType::kFloat32;

  Blob resolve() const;
};

}  // namespace mx
