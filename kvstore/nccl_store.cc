#include "nccl_store.h"

#include <algorithm>
#include <utility>

#include <mx/engine/engine.h>
#include <mx/ndarray/error.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>

#include "comm.h"
#include "entry.h"

namespace mx::kvstore::detail {
namespace {

std::vector<int> sorted_unique(std::vector<int> devices) {
  std::sort(devices.begin(), devices.end());
  devices.erase(std::unique(devices.begin(), devices.end()), devices.end());
  return devices;
}

// Runs `calls` on `clique` as one engine operation on gpu(device), reading and writing the given arrays.
void push_group(std::shared_ptr<NcclClique> clique, std::vector<NcclCall> calls, int device,
                const std::vector<engine::VarHandle>& reads, const std::vector<engine::VarHandle>& writes,
                int priority, const char* name) {
  engine::Engine::get().push_sync(
      [clique = std::move(clique), calls = std::move(calls), device, name](engine::RunContext run) {
        clique->enqueue(calls, run.stream, device, name);
      },
      gpu(device), reads, writes,
      {.prop = engine::FnProperty::kPrioritized, .priority = priority, .name = name, .category = "kvstore",
       .args = {}});
}

}  // namespace

NcclStore::NcclStore() : DeviceStore("nccl"), bucket_bytes_(bucket_bytes_from_env()) {}

std::shared_ptr<NcclClique> NcclStore::clique(const std::vector<int>& devices) {
  std::shared_ptr<NcclClique>& found = cliques_[devices];
  if (!found) found = NcclClique::local(devices);
  return found;
}

void NcclStore::check_value_devices(const Entry& entry, const std::vector<NDArray>& values, const char* call) const {
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i].context().is_gpu()) {
      throw Error(std::string("KVStore.") + call + ": store 'nccl' sums GPU arrays, and value " + std::to_string(i) +
                  " of key " + entry.key.str() + " is on " + values[i].context().str() +
                  " (use the 'device' or 'local' store for host arrays)");
    }
  }
}

bool NcclStore::sums_in_place(const std::vector<NDArray>& values, const std::vector<NDArray>& outs) const {
  if (values.size() != outs.size()) return false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!values[i].context().is_gpu() || !same_array(values[i], outs[i])) return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (values[j].context() == values[i].context()) return false;  // one rank per GPU
    }
  }
  return true;
}

void NcclStore::sum_values(Entry& entry, const std::vector<NDArray>& values, int priority) {
  const int home = entry.pushed.context().dev_id;
  std::vector<int> devices;
  std::vector<std::vector<NDArray>> on_device;
  for (const NDArray& value : values) {
    const int device = value.context().dev_id;
    const auto at = std::find(devices.begin(), devices.end(), device);
    if (at == devices.end()) {
      devices.push_back(device);
      on_device.push_back({value});
    } else {
      on_device[static_cast<std::size_t>(at - devices.begin())].push_back(value);
    }
  }
  if (devices.size() == 1 && devices[0] == home) {  // nothing crosses a GPU: summed where the key lives
    DeviceStore::sum_values(entry, values, priority);
    return;
  }
  for (std::size_t d = 0; d < devices.size(); ++d) {
    if (on_device[d].size() == 1) {
      entry.device_sums.push_back(on_device[d][0]);
      continue;
    }
    const Context ctx = gpu(devices[d]);
    auto buffer = std::find_if(entry.device_buffers.begin(), entry.device_buffers.end(),
                               [&](const NDArray& b) { return b.context() == ctx; });
    if (buffer == entry.device_buffers.end()) {
      entry.device_buffers.emplace_back(entry.shape, ctx, entry.dtype);
      buffer = entry.device_buffers.end() - 1;
    }
    reduce(on_device[d], *buffer, priority, entry.staging);
    entry.device_sums.push_back(*buffer);
  }
  // The key's GPU takes part in the reduction to it even when this push has no value there.
  if (std::find(devices.begin(), devices.end(), home) == devices.end()) {
    entry.device_sums.push_back(nd::zeros(entry.shape, gpu(home), entry.dtype));
  }
}

void NcclStore::reduce_bucket(const std::vector<Entry*>& bucket) {
  struct Group {
    std::shared_ptr<NcclClique> clique;
    std::vector<NcclCall> calls;
    std::vector<engine::VarHandle> reads, writes;
    int device = 0;  // where the engine operation runs
  };
  std::map<std::vector<int>, Group> groups;  // one per set of GPUs
  for (Entry* entry : bucket) {
    if (entry->device_sums.empty()) continue;  // summed on its own GPU already
    std::vector<int> devices;
    for (const NDArray& sum : entry->device_sums) devices.push_back(sum.context().dev_id);
    devices = sorted_unique(std::move(devices));
    Group& group = groups[devices];
    if (!group.clique) group.clique = clique(devices);
    const NcclClique* members = group.clique.get();
    const int home = entry->pushed.context().dev_id;
    if (group.calls.empty()) group.device = home;
    if (entry->summed_in_place) {  // the caller's arrays, one per GPU, each becomes the sum
      for (const NDArray& value : entry->device_sums) {
        void* data = value.blob().data;
        value.bump_version();
        group.writes.push_back(value.var());
        group.calls.push_back({.kind = NcclCall::Kind::kAllReduce,
                               .member = members->member_of(value.context().dev_id), .send = data, .recv = data,
                               .count = static_cast<std::size_t>(entry->shape.size()), .dtype = entry->dtype,
                               .root = 0});
      }
      entry->device_sums.clear();
      continue;
    }
    const int root = members->rank(members->member_of(home));
    entry->pushed.bump_version();
    group.writes.push_back(entry->pushed.var());
    for (const NDArray& sum : entry->device_sums) {
      const int device = sum.context().dev_id;
      // NCCL ignores the receive buffer off the root: given the send buffer there rather than a null pointer.
      void* send = sum.blob().data;
      group.calls.push_back({.kind = NcclCall::Kind::kReduce, .member = members->member_of(device),
                             .send = send, .recv = device == home ? entry->pushed.blob().data : send,
                             .count = static_cast<std::size_t>(entry->shape.size()), .dtype = entry->dtype,
                             .root = root});
      group.reads.push_back(sum.var());
    }
    entry->device_sums.clear();
  }
  for (auto& [devices, group] : groups) {
    push_group(std::move(group.clique), std::move(group.calls), group.device, group.reads, group.writes, 0,
               "KVStoreNcclReduce");
  }
}

void NcclStore::copy_out(const NDArray& source, const std::vector<NDArray>& outs, int priority) {
  if (!source.context().is_gpu()) {  // pulled before the first push moved the value to a GPU
    DeviceStore::copy_out(source, outs, priority);
    return;
  }
  const int root_device = source.context().dev_id;
  std::vector<NDArray> first_on_device, host_outs;
  std::vector<std::pair<NDArray, NDArray>> also_on_device;  // (out, the first out on its GPU)
  for (const NDArray& out : outs) {
    if (same_array(out, source)) continue;
    if (!out.context().is_gpu()) {
      host_outs.push_back(out);
      continue;
    }
    const auto first = std::find_if(first_on_device.begin(), first_on_device.end(),
                                    [&](const NDArray& o) { return o.context() == out.context(); });
    if (first == first_on_device.end()) {
      first_on_device.push_back(out);
    } else {
      also_on_device.emplace_back(out, *first);
    }
  }
  if (!first_on_device.empty()) {
    std::vector<int> devices = {root_device};
    for (const NDArray& out : first_on_device) devices.push_back(out.context().dev_id);
    devices = sorted_unique(std::move(devices));
    const std::shared_ptr<NcclClique> members = clique(devices);
    const int root = members->rank(members->member_of(root_device));
    std::vector<NcclCall> calls;
    std::vector<engine::VarHandle> writes;
    for (int device : devices) {
      const auto out = std::find_if(first_on_device.begin(), first_on_device.end(),
                                    [&](const NDArray& o) { return o.context().dev_id == device; });
      // The root's receive buffer is the source itself (a copy in place) when no output is on its GPU.
      void* recv = out != first_on_device.end() ? out->blob().data : source.blob().data;
      if (out != first_on_device.end()) {
        out->bump_version();
        writes.push_back(out->var());
      }
      // NCCL ignores the send buffer off the root: given the receive buffer there rather than a null pointer.
      calls.push_back({.kind = NcclCall::Kind::kBroadcast, .member = members->member_of(device),
                       .send = device == root_device ? source.blob().data : recv, .recv = recv,
                       .count = static_cast<std::size_t>(source.size()), .dtype = source.dtype(), .root = root});
    }
    push_group(members, std::move(calls), root_device, {source.var()}, writes, priority, "KVStoreNcclBroadcast");
  }
  for (auto& [out, first] : also_on_device) {
    NDArray target = out;
    nd::copyto(first, target);
  }
  if (!host_outs.empty()) DeviceStore::copy_out(source, host_outs, priority);
}

}  // namespace mx::kvstore::detail
