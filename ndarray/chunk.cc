#include <mx/ndarray/chunk.h>

namespace mx::detail {

Chunk::Chunk(Context ctx, std::size_t bytes)
    : ctx(ctx), bytes(bytes), engine(engine::Engine::get_shared()), var(engine->new_variable()) {}

Chunk::~Chunk() {
  // A chunk never used holds an empty handle, which release ignores.
  engine->delete_variable([handle = handle_](engine::RunContext) { storage::pool(handle.ctx).release(handle); },
                          ctx, var);
}

void* Chunk::data() {
  void* data = data_.load(std::memory_order_acquire);
  if (data != nullptr || bytes == 0) return data;
  storage::Handle handle = storage::pool(ctx).allocate(bytes);
  if (data_.compare_exchange_strong(data, handle.ptr, std::memory_order_acq_rel)) {
    handle_ = handle;  // read only by the destructor, which the last owner runs after this returns
    return handle.ptr;
  }
  storage::pool(ctx).release(handle);  // another thread reserved first
  return data;
}

}  // namespace mx::detail
