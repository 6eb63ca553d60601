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

struct Chunk {
  Chunk(Context ctx, std::size_t bytes);
  ~Chunk();
  Chunk(const Chunk&) = delete;
  Chunk& operator=(const Chunk&) = delete;

  // The data pointer, reserving the block on first call. Thread-safe: racing callers agree on one block.
  void* data();

  const Context ctx;
  const std::size_t bytes;
  const std::shared_ptr<engine::Engine> engine;  // outlives every chunk, also during static destruction
  const engine::VarHandle var;
  std::atomic<std::uint64_t> version{0};  // in-place writes so far (NDArray::version)

 private:
  std::atomic<void*> data_{nullptr};  // set once, by compare-exchange
  storage::Handle handle_;  // written by the winner of that exchange; read only by the destructor
};

}  // namespace mx::detail
