#pragma once
// GPU work a variable's operations left in flight. A GPU operation does not wait for its stream: it records an
// event there and completes at once. Each variable keeps the event of its last GPU write and those of the GPU
// reads since; later work waits on them on the device (an operation on another stream) or on the host (a sync
// point, an operation off the GPU streams, the variable's deletion). MX_GPU_SYNC_EACH_OP=1 makes every GPU
// operation wait for its stream instead, as MXNet 1.x did.
#include <memory>
#include <vector>

#include <mx/engine/engine.h>

namespace mx::engine::detail {

struct OprBlock;

// A recorded CUDA event and the stream it was recorded on; returned to a pool when the last mark drops it.
class GpuEvent;
using GpuEventPtr = std::shared_ptr<const GpuEvent>;

struct GpuMarks {
  GpuEventPtr write;                // the last GPU write, if still tracked
  std::vector<GpuEventPtr> reads;   // GPU reads since that write, one per stream
  bool empty() const { return write == nullptr && reads.empty(); }
};

// Whether GPU operations wait for their stream (MX_GPU_SYNC_EACH_OP=1), read once.
bool gpu_sync_each_op();
// Whether any GPU operation has left marks in this process (a relaxed flag: CPU-only programs skip all checks).
bool gpu_marks_in_use();

// Around a GPU operation on `stream`: before, the stream waits for other streams' marks on what the operation
// reads (the last write) and writes (the last write and the reads since); after, a new event marks what it
// read and wrote. Both take each variable's mutex.
void wait_marks_on_stream(OprBlock& op, void* stream);
void mark_after_stream_op(OprBlock& op, void* stream, int device);
// After an operation that waited for its stream: its variables carry no GPU work in flight from it.
void clear_marks_after_sync(OprBlock& op);

// Host waits. Throw mx::EngineError with CUDA's message when the GPU work failed.
void host_wait_marks(OprBlock& op);                    // everything the operation's variables carry
void host_wait_var(Var* var, bool reads_too);          // a sync point on one variable
bool has_marks(OprBlock& op);

}  // namespace mx::engine::detail
