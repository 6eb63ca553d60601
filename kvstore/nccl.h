#pragma once
// NCCL for the stores: communicators over a set of GPUs, each GPU with a stream of the communicator's own, and
// the grouped collectives an engine operation enqueues there. libnccl.so.2 is opened at the first use (dlopen):
// programs that never make an NCCL store neither load its 200 MB nor need it installed. Without CUDA support
// (MXPP_USE_CUDA off) making a clique is an mx::Error. Internal to the kvstore.
#include <cstddef>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include <mx/ndarray/dtype.h>

namespace mx::kvstore::detail {

// One collective of a grouped call, on one member of the clique.
struct NcclCall {
  enum class Kind { kReduce, kBroadcast, kAllReduce };
  Kind kind = Kind::kAllReduce;
  int member = 0;           // which of the clique's devices (an index into devices())
  const void* send = nullptr;
  void* recv = nullptr;     // kReduce: written on the root only
  std::size_t count = 0;
  DType dtype = DType::kFloat32;
  int root = 0;             // kReduce, kBroadcast: the root's NCCL rank
};

class NcclClique {
 public:
  // One rank per GPU of this process, rank i on devices[i] (ncclCommInitAll). Throws mx::Error.
  static std::shared_ptr<NcclClique> local(const std::vector<int>& devices);
  // This process's rank `rank` of a job of `size` processes, on GPU `device` (ncclCommInitRank): every rank
  // calls it with the `id` rank 0 made by unique_id(). Blocks until all have joined. Throws mx::Error.
  // A collective of another process's making can wait for ever on a rank that stopped or hangs: a joined
  // clique's watchdog ends the job once a group has waited `timeout_s` seconds on the device for the others,
  // with a message that begins with `who`.
  static std::shared_ptr<NcclClique> joined(int device, int rank, int size, const std::string& id,
                                            double timeout_s, const std::string& who);
  // A new job id (ncclGetUniqueId's kIdBytes bytes), to pass from rank 0 to the others.
  static std::string unique_id();
  static constexpr std::size_t kIdBytes = 128;

  ~NcclClique();
  NcclClique(const NcclClique&) = delete;
  NcclClique& operator=(const NcclClique&) = delete;

  // This process's GPUs in the clique, one member each.
  const std::vector<int>& devices() const { return devices_; }
  // The NCCL rank of member i: i for a local clique, the process's rank for a joined one.
  int rank(int member) const { return first_rank_ + member; }
  int member_of(int device) const;  // -1 when `device` is not in the clique

  // Enqueues `calls` as one NCCL group on the members' streams, after the work already on `stream` (of GPU
  // `stream_device`, an engine operation's), and makes `stream` wait for them: what follows on `stream` sees the
  // results, and nothing waits on the host. Calls from several threads are serialized, so every member's
  // stream receives the collectives in one order. Throws mx::Error naming `what`; after an NCCL error the clique
  // refuses further work with that error (its communicators may be half way through a collective).
  void enqueue(std::span<const NcclCall> calls, void* stream, int stream_device, const std::string& what);

 private:
  struct Member;
  class Watchdog;
  NcclClique(std::vector<int> devices, int first_rank);
  void create_streams();

  std::vector<int> devices_;
  int first_rank_ = 0;
  std::vector<Member> members_;
  std::mutex mutex_;     // one enqueue at a time
  std::string broken_;   // guarded by mutex_: the NCCL error that stopped the clique
  std::unique_ptr<Watchdog> watchdog_;  // joined cliques only
};

// Zeroes `bytes` at `data` on GPU `device`, in the order of `stream`. Throws mx::Error.
void clear_on_stream(void* data, std::size_t bytes, void* stream, int device);

}  // namespace mx::kvstore::detail
