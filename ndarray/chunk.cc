#include <mx/ndarray/chunk.h>

#include <mx/engine/cross_thread_alloc.h>

#include <cstddef>

namespace mx::detail {

void* Block::operator new(std::size_t bytes) { return engine::cross_thread_allocate(bytes); }
void Block::operator delete(void* block) noexcept { engine::cross_thread_free(block); }

namespace {

// What an empty host array points at: never read or written (it has no elements), but not null, so that kernels
// may hand it to memcpy, memset and BLAS, whose pointers must not be null even for zero bytes.
alignas(64) std::byte empty_host_data[64];

}  // namespace

void* Block::data() {
  if (bytes_ == 0) return ctx_.is_gpu() ? nullptr : empty_host_data;
  void* data = data_.load(std::memory_order_acquire);
  if (data != nullptr) return data;
  storage::Handle handle = storage::pool(ctx_).allocate(bytes_);
  if (data_.compare_exchange_strong(data, handle.ptr, std::memory_order_acq_rel)) {
    handle_ = handle;
    return handle.ptr;
  }
  storage::pool(ctx_).release(handle);  // another thread reserved first
  return data;
}

void Block::release() {
  if (data_.load(std::memory_order_acquire) != nullptr) storage::pool(ctx_).release(handle_);
}

Chunk::Chunk(Context ctx, std::size_t bytes)
    : ctx(ctx), engine(engine::Engine::get_shared()), var(engine->new_variable()), block(new Block(ctx, bytes)) {}

Chunk::~Chunk() {
  // Every operation that may reserve or touch the block was pushed on `var` before this deletion.
  engine->delete_variable(
      [block = block](engine::RunContext) {
        block->release();
        delete block;
      },
      ctx, var);
}

}  // namespace mx::detail
