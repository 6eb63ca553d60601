#include "comm.h"

#include <cstdlib>
#include <cstring>
#include <type_traits>

#include <mx/engine/engine.h>
#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/parallel.h>

namespace mx::kvstore::detail {
namespace {

template <class T>
using Accumulator = std::conditional_t<std::is_same_v<T, float16> || std::is_same_v<T, bfloat16>, float,
                                       std::conditional_t<std::is_same_v<T, bool>, int, T>>;

// out = in[0] + in[1] + ..., a piece at a time so that each pass stays in cache.
template <class T>
void sum_blobs(const std::vector<Blob>& in, const Blob& out) {
  using Acc = Accumulator<T>;
  T* dst = out.ptr<T>();
  op::parallel_for(out.size(), [&](std::int64_t begin, std::int64_t end) {
    const T* first = in[0].ptr<const T>();
    if (in.size() == 1) {
      std::memcpy(dst + begin, first + begin, static_cast<std::size_t>(end - begin) * sizeof(T));
      return;
    }
    const T* second = in[1].ptr<const T>();
    for (std::int64_t i = begin; i < end; ++i) dst[i] = static_cast<T>(static_cast<Acc>(first[i]) + static_cast<Acc>(second[i]));
    for (std::size_t k = 2; k < in.size(); ++k) {
      const T* next = in[k].ptr<const T>();
      for (std::int64_t i = begin; i < end; ++i) dst[i] = static_cast<T>(static_cast<Acc>(dst[i]) + static_cast<Acc>(next[i]));
    }
  });
}

void copy_blob(const Blob& in, const Blob& out) {
  const std::size_t element = dtype_size(out.dtype);
  op::parallel_for(out.size(), [&](std::int64_t begin, std::int64_t end) {
    std::memcpy(static_cast<std::byte*>(out.data) + begin * element, static_cast<const std::byte*>(in.data) + begin * element,
                static_cast<std::size_t>(end - begin) * element);
  });
}

bool all_on_cpu(const std::vector<NDArray>& arrays) {
  for (const NDArray& a : arrays) {
    if (a.context().is_gpu()) return false;
  }
  return true;
}

}  // namespace

void reduce(const std::vector<NDArray>& values, NDArray& target, int priority, std::vector<NDArray>& staging) {
  if (!target.context().is_gpu() && all_on_cpu(values)) {
    // Host memory is one memory: the sum reads every CPU context's array in place, no copies.
    std::vector<engine::VarHandle> reads;
    std::vector<Blob> blobs;
    for (const NDArray& v : values) {
      reads.push_back(v.var());
      blobs.push_back(v.blob());
    }
    target.bump_version();
    engine::Engine::get().push_sync(
        [blobs = std::move(blobs), out = target.blob()](engine::RunContext) {
          dispatch_dtype(out.dtype, [&](auto zero) { sum_blobs<decltype(zero)>(blobs, out); });
        },
        target.context(), reads, {target.var()},
        {.prop = engine::FnProperty::kPrioritized, .priority = priority, .name = "KVStoreReduce", .category = "kvstore", .args = {}});
    return;
  }
  // Across kinds of device: each value copied to target's device (the copy streams), then added there.
  staging.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].context() == target.context()) continue;
    if (staging[i].is_none()) staging[i] = NDArray(values[i].shape(), target.context(), values[i].dtype());
    nd::copyto(values[i], staging[i]);
  }
  auto local = [&](std::size_t i) -> const NDArray& {
    return values[i].context() == target.context() ? values[i] : staging[i];
  };
  nd::copyto(local(0), target);
  for (std::size_t i = 1; i < values.size(); ++i) target += local(i);
}

bool same_array(const NDArray& a, const NDArray& b) {
  return a.shares_storage_with(b) && a.offset() == b.offset();
}

void broadcast(const NDArray& source, const std::vector<NDArray>& outs, int priority) {
  for (const NDArray& out : outs) {
    if (same_array(out, source)) continue;
    if (source.context().is_gpu() || out.context().is_gpu()) {
      NDArray target = out;
      nd::copyto(source, target);
      continue;
    }
    out.bump_version();
    engine::Engine::get().push_sync([in = source.blob(), dst = out.blob()](engine::RunContext) { copy_blob(in, dst); },
                                    out.context(), {source.var()}, {out.var()},
                                    {.prop = engine::FnProperty::kPrioritized, .priority = priority,
                                     .name = "KVStoreBroadcast", .category = "copy", .args = {}});
  }
}

std::size_t bucket_bytes_from_env() {
  const char* text = std::getenv("MX_KVSTORE_BUCKET_BYTES");
  if (text == nullptr || *text == '\0') return std::size_t{1} << 20;
  char* end = nullptr;
  const long long bytes = std::strtoll(text, &end, 10);
  if (*end != '\0' || bytes < 0) {
    throw Error(std::string("MX_KVSTORE_BUCKET_BYTES: expected a number of bytes, got '") + text + "'");
  }
  return static_cast<std::size_t>(bytes);
}

}  // namespace mx::kvstore::detail
