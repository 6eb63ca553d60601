#pragma once
// The CUDA runtime calls the array layer needs: raw device and pinned host blocks for the pools (storage.h), and
// copies between contexts. Without CUDA support, or without a device, every GPU request throws mx::Error.
#include <cstddef>
#include <string>

#include <mx/engine/context.h>

namespace mx::storage {

// A device block of `bytes` on gpu(device), or nullptr when the device is out of memory (other failures throw).
void* gpu_malloc(int device, std::size_t bytes);
void gpu_free(int device, void* ptr);
// Page-locked host memory: transfers from it run asynchronously and at full speed.
void* pinned_malloc(std::size_t bytes);
void pinned_free(void* ptr);
// "80.1 GB free of 139.8 GB" for out-of-memory messages; free and total bytes for the pool's reserve.
std::string gpu_memory_state(int device);
void gpu_memory_info(int device, std::size_t& free_bytes, std::size_t& total_bytes);

// Copies `bytes` from src (on src_ctx) to dst (on dst_ctx), enqueued on `stream` (a cudaStream_t of the GPU side;
// nullptr: the copy is complete when the call returns). Host-to-host copies are plain memcpy.
void copy_bytes(void* dst, Context dst_ctx, const void* src, Context src_ctx, std::size_t bytes, void* stream);

}  // namespace mx::storage
