#include "nccl.h"

#include <mx/engine/thread_name.h>
#include <mx/ndarray/error.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <thread>

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
  cudaEvent_t done = nullptr;  // unwatched cliques: recorded after each group, for the caller's stream to wait on
};

// NCCL waits on the device for every rank's part of a collective, for ever: a rank that stopped or hangs leaves
// the others' kernels spinning and their sync points blocked. Each group is bracketed by events on the members'
// streams; a group that started (its inputs were ready) and has not ended `timeout_s` later ends the job, as the
// MPI thread's watchdog does for MPI's collectives (mpirun then stops the other ranks).
class NcclClique::Watchdog {
 public:
  Watchdog(double timeout_s, std::string who) : timeout_s_(timeout_s), who_(std::move(who)) {
    thread_ = std::thread([this] {
      engine::set_thread_name("mx-nccl-watch");
      watch();
    });
  }
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
    for (Group& group : groups_) destroy(group);
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  struct Marks {
    int device;
    cudaEvent_t started, ended;
  };
  // Released by CUDA once the work that waits on them has passed them.
  static void destroy(const std::vector<Marks>& marks) {
    for (const Marks& m : marks) {
      cudaEventDestroy(m.started);
      cudaEventDestroy(m.ended);
    }
  }
  // Takes the events; they are destroyed once the group has ended.
  void add(std::vector<Marks> marks, std::string what) {
    std::lock_guard lock(mutex_);
    groups_.push_back({std::move(marks), std::move(what), {}, false});
  }

 private:
  struct Group {
    std::vector<Marks> marks;
    std::string what;
    std::chrono::steady_clock::time_point started_at;
    bool started;
  };
  static void destroy(Group& group) { destroy(group.marks); }
  // Whether every member's event has completed; an event that reports an error counts as completed (the
  // error belongs to a sync point, not to the watchdog).
  static bool reached(const std::vector<Marks>& marks, cudaEvent_t Marks::*which) {
    for (const Marks& m : marks) {
      cudaSetDevice(m.device);
      if (cudaEventQuery(m.*which) == cudaErrorNotReady) return false;
    }
    return true;
  }

  void watch() {
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, std::chrono::milliseconds(200), [&] { return stop_; })) {
      // Groups end in order on every member's stream: only the oldest can have waited longest.
      while (!groups_.empty()) {
        Group& oldest = groups_.front();
        if (!oldest.started && reached(oldest.marks, &Marks::started)) {
          oldest.started = true;
          oldest.started_at = std::chrono::steady_clock::now();
        }
        if (!oldest.started || !reached(oldest.marks, &Marks::ended)) break;
        destroy(oldest);
        groups_.pop_front();
      }
      if (groups_.empty() || !groups_.front().started) continue;
      const Group& oldest = groups_.front();
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - oldest.started_at).count();
      if (waited > timeout_s_) {
        std::fprintf(stderr, "%s: waited %.0f s on gpu(%d) in %s for the other ranks (did one stop or hang?); "
                     "ending the job (MX_KVSTORE_TIMEOUT sets the limit)\n",
                     who_.c_str(), waited, oldest.marks.front().device, oldest.what.c_str());
        std::fflush(stderr);
        std::_Exit(1);
      }
    }
  }

  const double timeout_s_;
  const std::string who_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Group> groups_;  // guarded by mutex_, oldest first
  bool stop_ = false;         // guarded by mutex_
  std::thread thread_;
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

std::shared_ptr<NcclClique> NcclClique::joined(int device, int rank, int size, const std::string& id,
                                               double timeout_s, const std::string& who) {
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
  clique->watchdog_ = std::make_unique<Watchdog>(timeout_s, who);
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
  watchdog_.reset();  // after the communicators: destroying one waits for its work
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
  // A watched clique's groups each get events of their own (a few microseconds to make), which the watchdog
  // follows to the group's end; the others reuse each member's `done`.
  std::vector<Watchdog::Marks> marks;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    check(cudaSetDevice(devices_[i]), "cudaSetDevice");
    check(cudaStreamWaitEvent(members_[i].stream, inputs_ready, 0), "cudaStreamWaitEvent");
    if (!watchdog_) continue;
    Watchdog::Marks m{devices_[i], nullptr, nullptr};
    check(cudaEventCreateWithFlags(&m.started, cudaEventDisableTiming), "cudaEventCreate");
    check(cudaEventCreateWithFlags(&m.ended, cudaEventDisableTiming), "cudaEventCreate");
    marks.push_back(m);
    check(cudaEventRecord(m.started, members_[i].stream), "cudaEventRecord");
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
    Watchdog::destroy(marks);
    throw;
  }
  // The caller's stream goes on once every member's part is done.
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const cudaEvent_t ended = watchdog_ ? marks[i].ended : members_[i].done;
    check(cudaSetDevice(devices_[i]), "cudaSetDevice");
    check(cudaEventRecord(ended, members_[i].stream), "cudaEventRecord");
    check(cudaSetDevice(stream_device), "cudaSetDevice");
    check(cudaStreamWaitEvent(caller, ended, 0), "cudaStreamWaitEvent");
  }
  if (watchdog_) watchdog_->add(std::move(marks), what);
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
class NcclClique::Watchdog {};
NcclClique::NcclClique(std::vector<int> devices, int first_rank)
    : devices_(std::move(devices)), first_rank_(first_rank) {}
NcclClique::~NcclClique() = default;
void NcclClique::create_streams() {}
std::shared_ptr<NcclClique> NcclClique::local(const std::vector<int>&) { no_cuda(); }
std::shared_ptr<NcclClique> NcclClique::joined(int, int, int, const std::string&, double, const std::string&) {
  no_cuda();
}
std::string NcclClique::unique_id() { no_cuda(); }
int NcclClique::member_of(int) const { return -1; }
void NcclClique::enqueue(std::span<const NcclCall>, void*, int, const std::string&) { no_cuda(); }
void clear_on_stream(void*, std::size_t, void*, int) { no_cuda(); }

#endif

}  // namespace mx::kvstore::detail
