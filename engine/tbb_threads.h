#pragma once
// oneTBB starts one worker thread per core, less one, for the whole process. The engine's arenas need a thread
// for every slot they have (a GPU stream's worker must not wait for a CPU worker to come free), so each pool
// holds a reservation and the process-wide limit follows their sum.
namespace mx::engine::detail {

class TbbThreadReservation {
 public:
  explicit TbbThreadReservation(int threads);
  ~TbbThreadReservation();
  TbbThreadReservation(const TbbThreadReservation&) = delete;
  TbbThreadReservation& operator=(const TbbThreadReservation&) = delete;

 private:
  int threads_;
};

}  // namespace mx::engine::detail
