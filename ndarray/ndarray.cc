#include <mx/ndarray/ndarray.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/ndarray/chunk.h>
#include <mx/ndarray/convert.h>
#include <mx/ndarray/device_memory.h>
#include <mx/ndarray/error.h>

namespace mx {
namespace {

// The bytes an array of `shape` takes, checked before anything is allocated: an extent below 0, or a size past
// what 64 bits count (an absurd shape read from a file or an attribute), is refused instead of wrapping round.
std::size_t checked_bytes(const Shape& shape, DType dtype) {
  std::int64_t bytes = static_cast<std::int64_t>(dtype_size(dtype));
  for (std::int64_t extent : shape.dims()) {
    if (extent < 0) throw ShapeError("NDArray: negative extent in shape " + shape.str());
  }
  if (shape.size() == 0 && shape.ndim() > 0) return 0;
  for (std::int64_t extent : shape.dims()) {
    if (__builtin_mul_overflow(bytes, extent, &bytes)) {
      throw ShapeError("NDArray: shape " + shape.str() + " of " + dtype_name(dtype) + " is too large to allocate");
    }
  }
  return static_cast<std::size_t>(bytes);
}

}  // namespace

NDArray::NDArray(const Shape& shape, Context ctx, DType dtype)
    : chunk_(std::allocate_shared<detail::Chunk>(engine::CrossThreadAllocator<detail::Chunk>(), ctx,
                                                 checked_bytes(shape, dtype))),
      shape_(shape),
      dtype_(dtype) {}

Context NDArray::context() const { return chunk_ ? chunk_->ctx : Context{}; }

Blob NDArray::blob() const {
  if (!chunk_) throw Error("NDArray: the array is empty (a default-constructed handle)");
  auto* base = static_cast<std::byte*>(chunk_->data());
  return {base == nullptr ? nullptr : base + offset_ * static_cast<std::int64_t>(dtype_size(dtype_)), shape_, dtype_};
}

LazyBlob NDArray::lazy_blob() const {
  if (!chunk_) throw Error("NDArray: the array is empty (a default-constructed handle)");
  if (chunk_->ctx.dev_type != DeviceType::kCPU) (void)chunk_->data();
  return {chunk_->block, offset_ * static_cast<std::int64_t>(dtype_size(dtype_)), shape_, dtype_};
}

Blob LazyBlob::resolve() const {
  auto* base = static_cast<std::byte*>(block->data());
  return {base == nullptr ? nullptr : base + byte_offset, shape, dtype};
}

engine::VarHandle NDArray::var() const {
  if (!chunk_) throw Error("NDArray: the array is empty (a default-constructed handle)");
  return chunk_->var;
}

namespace {
std::atomic<NDArray::ViewHook> view_hook{nullptr};
}

void NDArray::set_view_hook(ViewHook hook) { view_hook.store(hook); }

// Every view passes here: it drops the base's autograd entry and lets the hook give the view its own.
NDArray NDArray::finish_view(NDArray view) const {
  view.autograd_.reset();
  if (autograd_ != nullptr) {
    if (ViewHook hook = view_hook.load(std::memory_order_relaxed)) hook(*this, view);
  }
  return view;
}

NDArray NDArray::detach() const {
  NDArray detached = *this;
  detached.autograd_.reset();
  return detached;
}

std::uint64_t NDArray::version() const { return chunk_ ? chunk_->version.load(std::memory_order_relaxed) : 0; }

void NDArray::bump_version() const {
  if (chunk_) chunk_->version.fetch_add(1, std::memory_order_relaxed);
}

NDArray NDArray::reshape(std::span<const std::int64_t> spec, bool reverse) const {
  NDArray view = *this;
  view.shape_ = infer_reshape(shape_, spec, reverse);
  return finish_view(std::move(view));
}

NDArray NDArray::slice(std::int64_t begin, std::int64_t end) const {
  if (ndim() == 0) throw ShapeError("slice: a 0-dimensional array has no first axis to slice");
  const std::int64_t rows = shape_[0];
  const std::int64_t b = begin < 0 ? begin + rows : begin, e = end < 0 ? end + rows : end;
  if (b < 0 || e > rows || b > e) {
    throw ShapeError("slice: [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") is out of range for an array of shape " + shape_.str());
  }
  NDArray view = *this;
  view.shape_[0] = e - b;
  view.offset_ += b * (size() / std::max<std::int64_t>(rows, 1));
  return finish_view(std::move(view));
}

NDArray NDArray::at(std::int64_t index) const {
  if (ndim() == 0) throw ShapeError("at: a 0-dimensional array has no first axis to index");
  const std::int64_t rows = shape_[0];
  const std::int64_t i = index < 0 ? index + rows : index;
  if (i < 0 || i >= rows) {
    throw ShapeError("at: index " + std::to_string(index) + " is out of range for an array of shape " +
                     shape_.str());
  }
  NDArray view = *this;
  view.shape_ = Shape(shape_.dims().subspan(1));
  view.offset_ += i * view.shape_.size();
  return finish_view(std::move(view));
}

namespace {
thread_local const char* t_value_reads_forbidden = nullptr;

void check_value_reads(const char* what) {
  if (t_value_reads_forbidden != nullptr) throw Error(std::string(what) + ": " + t_value_reads_forbidden);
}
}  // namespace

ForbidValueReads::ForbidValueReads(const char* why) : previous_(std::exchange(t_value_reads_forbidden, why)) {}
ForbidValueReads::~ForbidValueReads() { t_value_reads_forbidden = previous_; }

void NDArray::wait_to_read() const {
  check_value_reads("wait_to_read");
  if (chunk_) chunk_->engine->wait_for_var(chunk_->var);
}

void NDArray::wait_to_write() const {
  check_value_reads("wait_to_write");
  if (chunk_) chunk_->engine->wait_for_var_writable(chunk_->var, chunk_->ctx);
}

void* NDArray::data_ptr() const {
  wait_to_write();
  return blob().data;
}

void NDArray::check_dtype_is(DType dtype, const char* what) const {
  if (dtype != dtype_) {
    throw DTypeError(std::string("NDArray::") + what + ": the array holds " + dtype_name(dtype_) + ", not " +
                     dtype_name(dtype));
  }
}

void NDArray::copy_to_host(void* dst, DType dst_dtype, std::size_t count) const {
  check_value_reads("asnumpy");
  if (count != static_cast<std::size_t>(size())) {
    throw ShapeError("asnumpy: the host buffer holds " + std::to_string(count) + " values; the array " +
                     shape_.str() + " has " + std::to_string(size()));
  }
  wait_to_read();
  if (count == 0) return;
  if (context().is_gpu()) {  // the bytes come over as they are, then convert on the host
    std::vector<std::byte> staging(count * dtype_size(dtype_));
    storage::copy_bytes(staging.data(), cpu(), blob().data, context(), staging.size(), nullptr);
    convert_values(staging.data(), dtype_, dst, dst_dtype, count);
    return;
  }
  convert_values(blob().data, dtype_, dst, dst_dtype, count);
}

void NDArray::copy_scalar_to_host(void* dst, DType dst_dtype) const {
  check_value_reads("asscalar");
  if (size() != 1) throw ShapeError("asscalar: the array has shape " + shape_.str() + ", not one element");
  copy_to_host(dst, dst_dtype, 1);
}

void NDArray::copy_from_host(const void* src, DType src_dtype, std::size_t count) {
  if (count != static_cast<std::size_t>(size())) {
    throw ShapeError("copy_from_host: " + std::to_string(count) + " values given for an array of shape " +
                     shape_.str());
  }
  wait_to_write();
  bump_version();
  if (count == 0) return;
  if (context().is_gpu()) {
    std::vector<std::byte> staging(count * dtype_size(dtype_));
    convert_values(src, src_dtype, staging.data(), dtype_, count);
    storage::copy_bytes(blob().data, context(), staging.data(), cpu(), staging.size(), nullptr);
    return;
  }
  convert_values(src, src_dtype, blob().data, dtype_, count);
}

namespace nd {
void waitall() { engine::Engine::get().wait_for_all(); }
}  // namespace nd

}  // namespace mx
