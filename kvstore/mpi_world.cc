#include "mpi_world.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <future>

#include <unistd.h>

#include <mx/engine/error.h>
#include <mx/engine/thread_name.h>

namespace mx::kvstore::detail {
namespace {

double timeout_from_env() {
  const char* text = std::getenv("MX_KVSTORE_TIMEOUT");
  if (text == nullptr || *text == '\0') return 300;
  char* end = nullptr;
  const double seconds = std::strtod(text, &end);
  if (*end != '\0' || !(seconds > 0)) {
    throw Error(std::string("MX_KVSTORE_TIMEOUT: expected a positive number of seconds, got '") + text + "'");
  }
  return seconds;
}

// Filled once MPI knows the rank; read by the handlers below, which may run at any time.
char g_prefix[64] = "mxpp";
char g_sigterm_message[256] = "";

void on_sigterm(int) {
  // Async-signal-safe: write, then the default action, so that the exit status still says SIGTERM.
  ssize_t ignored = write(STDERR_FILENO, g_sigterm_message, std::strlen(g_sigterm_message));
  (void)ignored;
  std::signal(SIGTERM, SIG_DFL);
  std::raise(SIGTERM);
}

[[noreturn]] void on_terminate() {
  std::string what = "an unknown exception";
  if (std::exception_ptr error = std::current_exception()) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
  } else {
    what = "std::terminate without an exception";
  }
  std::fprintf(stderr, "%s failed: %s\n%s: ending the job (mpirun stops the other ranks)\n", g_prefix, what.c_str(),
               g_prefix);
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

void MpiWorld::check(int code, const char* call) {
  if (code == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, message, &length);
  throw Error(std::string("kvstore: ") + call + " failed: " + std::string(message, static_cast<std::size_t>(length)));
}

std::shared_ptr<MpiWorld> MpiWorld::get() {
  // Never released before exit: MPI cannot start twice in one process.
  static const std::shared_ptr<MpiWorld> world(new MpiWorld());
  return world;
}

MpiWorld::MpiWorld() : timeout_s_(timeout_from_env()) {
  thread_ = std::thread([this] {
    engine::set_thread_name("mx-mpi");
    run();
  });
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [&] { return started_ || !started_error_.empty(); });
  if (!started_error_.empty()) {
    lock.unlock();
    thread_.join();
    throw Error(started_error_);
  }
  completer_ = std::thread([this] {
    engine::set_thread_name("mx-mpi-done");
    complete();
  });
  watchdog_ = std::thread([this] {
    engine::set_thread_name("mx-mpi-watchdog");
    watch();
  });
}

MpiWorld::~MpiWorld() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  thread_.join();
  {
    std::lock_guard lock(completed_mutex_);
    completer_stop_ = true;
  }
  completed_ready_.notify_all();
  completer_.join();
  {
    std::lock_guard lock(busy_mutex_);
    watch_stop_ = true;
  }
  busy_changed_.notify_all();
  watchdog_.join();
}

void MpiWorld::start() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  int provided = 0;
  if (!initialized) {
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    initialized_here_ = true;
  } else {
    MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_SERIALIZED) {
      throw Error("kvstore: the program initialized MPI with a thread level below MPI_THREAD_SERIALIZED; the "
                  "distributed kvstore calls MPI from a thread of its own (initialize with MPI_THREAD_MULTIPLE, "
                  "or let mxpp initialize MPI)");
    }
  }
  check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
  check(MPI_Comm_dup(MPI_COMM_WORLD, &finalize_comm_), "MPI_Comm_dup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler(finalize_comm_, MPI_ERRORS_RETURN);
  MPI_Comm_rank(comm_, &rank_);
  MPI_Comm_size(comm_, &size_);
  std::snprintf(g_prefix, sizeof g_prefix, "%s", label().c_str());
  std::snprintf(g_sigterm_message, sizeof g_sigterm_message,
                "%s: stopped by mpirun: another rank failed (see its message) or the job was interrupted\n", g_prefix);
  if (size_ > 1) {
    std::signal(SIGTERM, on_sigterm);
    std::set_terminate(on_terminate);
  }
}

void MpiWorld::run() {
  try {
    start();
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    started_error_ = e.what();
    ready_.notify_all();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    started_ = true;
  }
  ready_.notify_all();
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [&] { return tasks_.count(next_to_run_) != 0 || stopping_; });
      const auto it = tasks_.find(next_to_run_);
      if (it == tasks_.end()) break;  // stopping, and the next collective was never made ready
      task = std::move(it->second);
      tasks_.erase(it);
      ++next_to_run_;
    }
    set_busy(std::move(task.what));  // the watchdog's message is its only reader
    std::exception_ptr error;
    try {
      task.work();
    } catch (...) {
      error = std::current_exception();
    }
    set_busy("");
    {
      std::lock_guard lock(completed_mutex_);
      completed_.emplace_back(std::move(task.done), error);
    }
    completed_ready_.notify_one();
  }
  finalize();
}

void MpiWorld::complete() {
  std::unique_lock lock(completed_mutex_);
  for (;;) {
    completed_ready_.wait(lock, [&] { return !completed_.empty() || completer_stop_; });
    if (completed_.empty()) return;  // stopping, and nothing left
    auto [done, error] = std::move(completed_.front());
    completed_.pop_front();
    lock.unlock();
    done(error);
    lock.lock();
  }
}

void MpiWorld::finalize() {
  if (!initialized_here_) return;
  // MPI_Finalize waits for every rank. A rank that leaves while others wait in a collective would wait there
  // for ever: a barrier of our own, with the watchdog's limit, ends the job instead.
  set_busy("the barrier before MPI_Finalize (another rank still waits in the kvstore, or has not finished)");
  MPI_Request request;
  MPI_Ibarrier(finalize_comm_, &request);
  for (int done = 0; !done;) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  set_busy("");
  MPI_Comm_free(&comm_);
  MPI_Comm_free(&finalize_comm_);
  MPI_Finalize();
}

// The watchdog looks every 200 ms by itself: waking it at each collective cost two context switches per array
// on a machine whose cores the ranks already share.
void MpiWorld::set_busy(std::string what) {
  std::lock_guard lock(busy_mutex_);
  busy_with_ = std::move(what);
  busy_since_ = std::chrono::steady_clock::now();
}

void MpiWorld::watch() {
  std::unique_lock lock(busy_mutex_);
  while (!watch_stop_) {
    busy_changed_.wait_for(lock, std::chrono::milliseconds(200));
    if (busy_with_.empty()) continue;
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - busy_since_).count();
    if (waited > timeout_s_) {
      std::fprintf(stderr, "%s: waited %.0f s in %s for the other ranks (did one stop or hang?); ending the job "
                   "(MX_KVSTORE_TIMEOUT sets the limit)\n", g_prefix, waited, busy_with_.c_str());
      std::fflush(stderr);
      std::_Exit(1);
    }
  }
}

std::string MpiWorld::label() const {
  return "mxpp (rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ")";
}

std::uint64_t MpiWorld::reserve() {
  std::lock_guard lock(mutex_);
  return next_reserved_++;
}

void MpiWorld::submit(std::uint64_t number, std::string what, Work work, Done done) {
  {
    std::lock_guard lock(mutex_);
    tasks_.emplace(number, Task{std::move(what), std::move(work), std::move(done)});
  }
  ready_.notify_all();
}

void MpiWorld::call(std::string what, Work work) {
  std::promise<void> finished;
  std::future<void> result = finished.get_future();
  submit(reserve(), std::move(what), std::move(work), [&finished](std::exception_ptr error) {
    if (error) {
      finished.set_exception(error);
    } else {
      finished.set_value();
    }
  });
  result.get();
}

}  // namespace mx::kvstore::detail
