#pragma once
// The storage behind an array and its views: one pooled block, reserved when first used, and one engine
// variable that orders every operation on it. Freed through the engine, after the last of those operations.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <mx/engine/engine.h>
#include <mx/ndarray/storage.h>

namespace mx::detail {

// The memory of one chunk. Operators reserve it when they run, on the engine's worker (lazy_blob), so that the
// pool hands out the block the last finished operation gave back, still in cache; reserving at the push would
// give every operation in flight its own block, a working set that outgrows the caches when the caller runs
// far ahead. Outlives its chunk: the chunk's deletion, ordered after every operation on its variable, frees it.
class Block {
 public:
  Block(Context ctx, std::size_t bytes) : ctx_(ctx), bytes_(bytes) {}
  // Made by the pushing thread, deleted by a worker (engine/cross_thread_alloc.h).
  static void* operator new(std::size_t bytes);
  static void operator delete(void* block) noexcept;
  // The data pointer, reserving the block on first call. Thread-safe: racing callers agree on one block.
  void* data();
  // Returns the block to its pool; only when no operation can touch it any more.
  void release();

 private:
  const Context ctx_;
  const std::size_t bytes_;
  std::atomic<void*> data_{nullptr};  // set once, by compare-exchange
  storage::Handle handle_;  // written by the winner of that exchange; read by release, ordered after it
};

struct Chunk {
  Chunk(Context ctx, std::size_t bytes);
  ~Chunk();
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  void* data() { return block->data(); }

  const Context ctx;
  const std::shared_ptr<engine::Engine> engine;  // outlives every chunk, also during static destruction
  const engine::VarHandle var;
  Block* const block;  // owned; deleted by the chunk's deletion operation
  std::atomic<std::uint64_t> version{0};  // in-place writes so far (NDArray::version)
};

}  // namespace mx::detail
