#pragma once
// A thread's recorded operation runs, for the profiler: each run's fixed fields and the variables it touched,
// back to back in large blocks, so that recording one is a bounds check and a few stores. Nothing is built or
// moved but the description of the inputs, which only operators on arrays have.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <mx/engine/trace.h>

namespace mx::engine::trace::detail {

struct OperationHeader {  // trivially copyable: copied in and out of the blocks' bytes
  std::uint64_t id;
  std::int64_t start_ns, end_ns, queue_depth;
  Context ctx;
  int worker;
  std::uint32_t name, category;  // ids of the recorder's name table
  std::uint32_t num_touches;     // the VarTouch::packed words that follow the header
  bool has_args;                 // whether the run took the next of the log's argument strings
};
static_assert(sizeof(OperationHeader) % alignof(std::uint64_t) == 0, "touches follow the header, aligned");

class OperationLog {
 public:
  // Appends a run with its header.num_touches touches.
  void append(const OperationHeader& header, std::string& args, const std::uint64_t* touches) {
    const std::size_t touch_bytes = header.num_touches * sizeof(std::uint64_t);
    const std::size_t bytes = sizeof(OperationHeader) + touch_bytes;
    if (bytes > static_cast<std::size_t>(limit_ - cursor_)) next_block(bytes);
    std::memcpy(cursor_, &header, sizeof header);
    std::memcpy(cursor_ + sizeof header, touches, touch_bytes);
    cursor_ += bytes;
    if (header.has_args) args_.push_back(std::move(args));
  }

  // Calls fn(header, touches, args) for every run in the order appended; `args` is empty or the run's own.
  template <class Fn>
  void for_each(Fn&& fn) {
    std::size_t next_args = 0;
    std::string no_args;
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      const std::byte* p = blocks_[b].data.get();
      const std::byte* const end = p + used(b);
      while (p < end) {
        OperationHeader header;
        std::memcpy(&header, p, sizeof header);
        const auto* touches = reinterpret_cast<const std::uint64_t*>(p + sizeof header);
        fn(header, std::span<const std::uint64_t>(touches, header.num_touches),
           header.has_args ? args_[next_args++] : no_args);
        p += sizeof header + header.num_touches * sizeof(std::uint64_t);
      }
    }
  }

  // Forgets every run, keeping a few blocks: a profiler dumped and reset in a loop records into pages it has
  // already touched.
  void reset() {
    if (blocks_.size() > kBlocksKept) blocks_.resize(kBlocksKept);
    for (Block& block : blocks_) block.used = 0;
    filling_ = 0;
    cursor_ = limit_ = nullptr;
    args_.clear();
  }

 private:
  static constexpr std::size_t kBlockBytes = std::size_t{256} << 10;
  static constexpr std::size_t kBlocksKept = 16;

  struct Block {
    std::unique_ptr<std::byte[]> data;
    std::size_t capacity = 0;
    std::size_t used = 0;  // once no longer filled
  };

  std::size_t used(std::size_t b) const {
    if (cursor_ == nullptr || b > filling_) return 0;
    return b == filling_ ? static_cast<std::size_t>(cursor_ - blocks_[b].data.get()) : blocks_[b].used;
  }

  // Moves on to the next block with room for `bytes` (a run of very many touches gets a block of its own size).
  void next_block(std::size_t bytes) {
    std::size_t next = 0;
    if (cursor_ != nullptr) {
      blocks_[filling_].used = used(filling_);
      next = filling_ + 1;
    }
    if (next == blocks_.size() || blocks_[next].capacity < bytes) {
      Block block;
      block.capacity = std::max(kBlockBytes, bytes);
      block.data = std::make_unique_for_overwrite<std::byte[]>(block.capacity);
      blocks_.insert(blocks_.begin() + static_cast<std::ptrdiff_t>(next), std::move(block));
    }
    filling_ = next;
    cursor_ = blocks_[next].data.get();
    limit_ = cursor_ + blocks_[next].capacity;
  }

  std::vector<Block> blocks_;
  std::size_t filling_ = 0;  // the block being filled, once cursor_ is set
  std::byte* cursor_ = nullptr;
  std::byte* limit_ = nullptr;
  std::vector<std::string> args_;  // the runs' descriptions of their inputs, for those that have one
};

}  // namespace mx::engine::trace::detail
