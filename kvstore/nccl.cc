#include "nccl.h"

#include <mx/ndarray/error.h>

#if MXPP_USE_CUDA
#include <dlfcn.h>

#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

namespace mx::kvstore::detail {

#if MXPP_USE_CUDA

namespace {

// NCCL's entry points, looked up once in libnccl.so.2.
struct NcclApi {
  decltype(&ncclGetUniqueId) get_unique_id;
  decltype(&ncclCommInitRank) comm_init_rank;
  decltype(&ncclCommInitAll) comm_init_all;
  decltype(&ncclCommDestroy) comm_destroy;
  decltype(&ncclAllReduce) all_reduce;
  decltype(&ncclReduce) reduce;
  decltype(&ncclBroadcast) broadcast;
  decltype(&ncclGroupStart) group_start;
  decltype(&ncclGroupEnd) group_end;
  decltype(&ncclGetErrorString) error_string;
  decltype(&ncclGetLastError) last_error;
};

template <class Fn>
void find(void* library, const char* name, Fn& fn) {
  fn = reinterpret_cast<Fn>(dlsym(library, name));
  if (fn == nullptr) throw Error(std::string("NCCL: libnccl.so.2 has no ") + name + " (NCCL 2.13 or later is needed)");
}

// Throws on failure; a later call tries again (a static whose initializer threw is not initialized).
const NcclApi& nccl() {
  static const NcclApi api = [] {
    void* library = dlopen("libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
      const char* why = dlerror();
      throw Error(std::string("NCCL: cannot load libnccl.so.2 (") + (why ? why : "not found") +
                  "); the nccl and dist_device_sync stores need NCCL on the library path (CUDA's lib64 holds it)");
    }
    NcclApi found{};
    find(library, "ncclGetUniqueId", found.get_unique_id);
    find(library, "ncclCommInitRank", found.comm_init_rank);
    find(library, "ncclCommInitAll", found.comm_init_all);
    find(library, "ncclCommDestroy", found.comm_destroy);
    find(library, "ncclAllReduce", found.all_reduce);
    find(library, "ncclReduce", found.reduce);
    find(library, "ncclBroadcast", found.broadcast);
    find(library, "ncclGroupStart", found.group_start);
    find(library, "ncclGroupEnd", found.group_end);
    find(library, "ncclGetErrorString", found.error_string);
    find(library, "ncclGetLastError", found.last_error);
    return found;
  }();
  return api;
}

void check(ncclResult_t result, const std::string& call, ncclComm_t comm = nullptr) {
  if (result == ncclSuccess) return;
  const NcclApi& api = nccl();
  std::string message = "NCCL: " + call + ": " + api.error_string(result);
  const char* detail = api.last_error(comm);
  if (detail != nullptr && *detail != '\0') message += std::string(" (") + detail + ")";
  throw Error(message);
}

void check(cudaError_t status, const char* call) {
  if (status != cudaSuccess) throw Error(std::string("NCCL clique: ") + call + ": " + cudaGetErrorString(status));
}

// Restores the calling thread's current device (an engine worker's) when it goes.
class CurrentDevice {
 public:
  CurrentDevice() { cudaGetDevice(&device_); }
  ~CurrentDevice() { cudaSetDevice(device_); }
  CurrentDevice(const CurrentDevice&) = delete;
  CurrentDevice& operator=(const CurrentDevice&) = delete;

 private:
  int device_ = 0;
};

struct NcclType {
  ncclDataType_t type;
  ncclRedOp_t sum;
};

NcclType nccl_type(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return {ncclFloat32, ncclSum};
    case DType::kFloat64: return {ncclFloat64, ncclSum};
    case DType::kFloat16: return {ncclFloat16, ncclSum};
    case DType::kBFloat16: return {ncclBfloat16, ncclSum};
    case DType::kInt32: return {ncclInt32, ncclSum};
    case DType::kInt64: return {ncclInt64, ncclSum};
    case DType::kUint8: return {ncclUint8, ncclSum};
    case DType::kInt8: return {ncclInt8, ncclSum};
    case DType::kBool: return {ncclUint8, ncclMax};  // a logical or, as the CPU stores sum booleans
  }
  throw Error(std::string("NCCL: no NCCL type for dtype ") + dtype_name(dtype));
}

}  // namespace

struct NcclClique::Member {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t done = nullptr;  // recorded after each group, for the caller's stream to wait on
};

NcclClique::NcclClique(std::vector<int> devices, int first_rank)
    : devices_(std::move(devices)), first_rank_(first_rank), members_(devices_.size()) {}

void NcclClique::create_streams() {
  CurrentDevice restore;
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    check(cudaSetDevice(devices_[i]), "cudaSetDevice");
    check(cudaStreamCreateWithFlags(&members_[i].stream, cudaStreamNonBlocking), "cudaStreamCreate");
    check(cudaEventCreateWithFlags(&members_[i].done, cudaEventDisableTiming), "cudaEventCreate");
  }
}

std::shared_ptr<NcclClique> NcclClique::local(const std::vector<int>& devices) {
  std::shared_ptr<NcclClique> clique(new NcclClique(devices, 0));
  std::vector<ncclComm_t> comms(devices.size());
  {
    CurrentDevice restore;
    check(nccl().comm_init_all(comms.data(), static_cast<int>(devices.size()), devices.data()), "ncclCommInitAll");
  }
  for (std::size_t i = 0; i < devices.size(); ++i) clique->members_[i].comm = comms[i];
  clique->create_streams();
  return clique;
}

static_assert(sizeof(ncclUniqueId) == NcclClique::kIdBytes);

std::string NcclClique::unique_id() {
  ncclUniqueId id;
  check(nccl().get_unique_id(&id), "ncclGetUniqueId");
  return std::string(id.internal, sizeof(id.internal));
}

std::shared_ptr<NcclClique> NcclClique::joined(int device, int rank, int size, const std::string& id) {
  ncclUniqueId unique;
  if (id.size() != sizeof(unique.internal)) {
    throw Error("NCCL: a job id has " + std::to_string(sizeof(unique.internal)) + " bytes");
  }
  std::copy(id.begin(), id.end(), unique.internal);
  std::shared_ptr<NcclClique> clique(new NcclClique({device}, rank));
  {
    CurrentDevice restore;
    check(cudaSetDevice(device), "cudaSetDevice");
    check(nccl().comm_init_rank(&clique->members_[0].comm, size, unique, rank),
          "ncclCommInitRank (rank " + std::to_string(rank) + " of " + std::to_string(size) + ", gpu(" +
              std::to_string(device) + "))");
  }
  clique->create_streams();
  return clique;
}

NcclClique::~NcclClique() {
  CurrentDevice restore;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    cudaSetDevice(devices_[i]);
    if (members_[i].comm != nullptr) nccl().comm_destroy(members_[i].comm);
    if (members_[i].done != nullptr) cudaEventDestroy(members_[i].done);
    if (members_[i].stream != nullptr) cudaStreamDestroy(members_[i].stream);
  }
}

int NcclClique::member_of(int device) const {
  for (std::size_t i = 0; i < devices_.size(); ++i) {
    if (devices_[i] == device) return static_cast<int>(i);
  }
  return -1;
}

void NcclClique::enqueue(std::span<const NcclCall> calls, void* stream, int stream_device, const std::string& what) {
  const NcclApi& api = nccl();
  std::lock_guard lock(mutex_);
  if (!broken_.empty()) throw Error(what + ": the NCCL communicators failed earlier and cannot be used: " + broken_);
  CurrentDevice restore;
  const auto caller = static_cast<cudaStream_t>(stream);
  // The members' streams start after what the caller's stream holds (the engine made it wait for the inputs).
  cudaEvent_t inputs_ready = nullptr;
  check(cudaSetDevice(stream_device), "cudaSetDevice");
  check(cudaEventCreateWithFlags(&inputs_ready, cudaEventDisableTiming), "cudaEventCreate");
  check(cudaEventRecord(inputs_ready, caller), "cudaEventRecord");
  for (std::size_t i = 0; i < members_.size(); ++i) {
    check(cudaSetDevice(devices_[i]), "cudaSetDevice");
    check(cudaStreamWaitEvent(members_[i].stream, inputs_ready, 0), "cudaStreamWaitEvent");
  }
  cudaSetDevice(stream_device);
  cudaEventDestroy(inputs_ready);  // released by CUDA once the waits above have passed it
  try {
    check(api.group_start(), what + ": ncclGroupStart");
    ncclResult_t result = ncclSuccess;
    for (const NcclCall& call : calls) {
      const Member& m = members_.at(static_cast<std::size_t>(call.member));
      const NcclType type = nccl_type(call.dtype);
      switch (call.kind) {
        case NcclCall::Kind::kAllReduce:
          result = api.all_reduce(call.send, call.recv, call.count, type.type, type.sum, m.comm, m.stream);
          break;
        case NcclCall::Kind::kReduce:
          result = api.reduce(call.send, call.recv, call.count, type.type, type.sum, call.root, m.comm, m.stream);
          break;
        case NcclCall::Kind::kBroadcast:
          result = api.broadcast(call.send, call.recv, call.count, type.type, call.root, m.comm, m.stream);
          break;
      }
      if (result != ncclSuccess) {
        api.group_end();
        check(result, what, m.comm);
      }
    }
    check(api.group_end(), what + ": ncclGroupEnd", members_.front().comm);
  } catch (const Error& error) {
    broken_ = error.what();
    throw;
  }
  // The caller's stream goes on once every member's part is done.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    check(cudaSetDevice(devices_[i]), "cudaSetDevice");
    check(cudaEventRecord(members_[i].done, members_[i].stream), "cudaEventRecord");
    check(cudaSetDevice(stream_device), "cudaSetDevice");
    check(cudaStreamWaitEvent(caller, members_[i].done, 0), "cudaStreamWaitEvent");
  }
}

void clear_on_stream(void* data, std::size_t bytes, void* stream, int device) {
  CurrentDevice restore;
  check(cudaSetDevice(device), "cudaSetDevice");
  check(cudaMemsetAsync(data, 0, bytes, static_cast<cudaStream_t>(stream)), "cudaMemsetAsync");
}

#else  // built without CUDA

namespace {
[[noreturn]] void no_cuda() { throw Error("NCCL: mxpp was built without CUDA, so the nccl stores cannot run"); }
}  // namespace

struct NcclClique::Member {};
NcclClique::NcclClique(std::vector<int> devices, int first_rank)
    : devices_(std::move(devices)), first_rank_(first_rank) {}
NcclClique::~NcclClique() = default;
void NcclClique::create_streams() {}
std::shared_ptr<NcclClique> NcclClique::local(const std::vector<int>&) { no_cuda(); }
std::shared_ptr<NcclClique> NcclClique::joined(int, int, int, const std::string&) { no_cuda(); }
std::string NcclClique::unique_id() { no_cuda(); }
int NcclClique::member_of(int) const { return -1; }
void NcclClique::enqueue(std::span<const NcclCall>, void*, int, const std::string&) { no_cuda(); }
void clear_on_stream(void*, std::size_t, void*, int) { no_cuda(); }

#endif

}  // namespace mx::kvstore::detail
