#pragma once
// The process's MPI: one thread makes every MPI call (MPI_THREAD_FUNNELED is all we ask of the library), in
// the order the collective operations were numbered by the threads that submitted them. Every rank submits
// the same operations in the same order (the same program), so their collectives match even though the
// engine makes them ready in different orders on different ranks.
//
// Failures end the job instead of hanging it: an uncaught exception prints its rank and message and exits,
// so that mpirun stops the others (which then say why they stopped); a collective that waits longer than
// MX_KVSTORE_TIMEOUT seconds (default 300) for the other ranks ends the job naming what it waited for.
// Internal to the kvstore.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <mpi.h>

namespace mx::kvstore::detail {

class MpiWorld {
 public:
  // The process's world, MPI initialized on first use. Throws mx::Error when MPI cannot start.
  static std::shared_ptr<MpiWorld> get();
  ~MpiWorld();

  int rank() const { return rank_; }
  int size() const { return size_; }
  // "mxpp (rank R of N)": how this process's messages begin.
  std::string label() const;
  // MX_KVSTORE_TIMEOUT: how long a collective may wait for the other ranks before the job ends.
  double timeout_s() const { return timeout_s_; }
  // A communicator of the kvstore's own (errors returned, not fatal): for the MPI thread only.
  MPI_Comm comm() const { return comm_; }

  using Work = std::function<void()>;                       // runs on the MPI thread; may throw
  // Called after `work`, on a thread of its own: the MPI thread goes straight on to the next collective
  // (completing an engine operation wakes waiters and schedules successors, which would keep the other ranks
  // waiting in the next collective).
  using Done = std::function<void(std::exception_ptr)>;
  // The next number in the order of collectives; submit(number, ...) must follow, once for each number.
  std::uint64_t reserve();
  // `work` may run once every operation numbered before it has run. Returns at once.
  void submit(std::uint64_t number, std::string what, Work work, Done done);
  // reserve, submit and wait: rethrows what `work` threw.
  void call(std::string what, Work work);

  // Throws mx::Error naming `call` and MPI's message unless `code` is MPI_SUCCESS.
  static void check(int code, const char* call);

 private:
  MpiWorld();
  void start();  // on the MPI thread
  void run();
  void complete();  // the completion thread
  void watch();
  void finalize();
  void set_busy(std::string what);

  struct Task {
    std::string what;
    Work work;
    Done done;
  };
  int rank_ = 0, size_ = 1;
  MPI_Comm comm_ = MPI_COMM_NULL, finalize_comm_ = MPI_COMM_NULL;
  bool initialized_here_ = false;
  double timeout_s_ = 300;

  std::mutex mutex_;
  std::condition_variable ready_;
  std::map<std::uint64_t, Task> tasks_;  // submitted, by number
  std::uint64_t next_reserved_ = 0, next_to_run_ = 0;
  bool stopping_ = false;
  std::string started_error_;  // why MPI could not start
  bool started_ = false;

  // The watchdog's view of the MPI thread.
  std::mutex busy_mutex_;
  std::condition_variable busy_changed_;
  std::string busy_with_;  // empty when idle
  std::chrono::steady_clock::time_point busy_since_;
  bool watch_stop_ = false;

  // Finished collectives, for the completion thread.
  std::mutex completed_mutex_;
  std::condition_variable completed_ready_;
  std::deque<std::pair<Done, std::exception_ptr>> completed_;
  bool completer_stop_ = false;

  std::thread thread_, completer_, watchdog_;
};

}  // namespace mx::kvstore::detail
