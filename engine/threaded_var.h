#pragma once
// A variable's dependency queue in the threaded engine. Runs of reads proceed together; a write waits for
// every earlier operation and blocks every later one: read-after-write, write-after-read and write-after-write
// all keep push order.
#include <mx/engine/operation.h>
#include <mx/engine/var.h>

namespace mx::engine::detail {

class ThreadedVar : public Var {
 public:
  // Each returns true when the entry may proceed now; otherwise it is queued until it may.
  bool append_read(VarEntry* entry);
  bool append_write(VarEntry* entry);

  // Each returns the entries that may now proceed, as a null-terminated list through VarEntry::next, to be
  // released outside the lock. A write stores its failure (null: the variable is clean again).
  VarEntry* complete_read();
  VarEntry* complete_write(FailurePtr failure);

  // With no write queued or running: true, and the failure the variable holds.
  bool readable(FailurePtr* failure);
  // Nothing queued or running, reads included; sets *failure to the error the variable holds.
  bool idle(FailurePtr* failure);

 private:
  void enqueue(VarEntry* entry);
  VarEntry* start_queued_write();  // the queue's head is a write: it starts now

  // All guarded by mutex. The queue is non-empty only while a write runs, or reads run and a write waits.
  VarEntry* head_ = nullptr;  // waiting entries, in push order
  VarEntry* tail_ = nullptr;
  int running_reads_ = 0;
  bool write_running_ = false;
};

}  // namespace mx::engine::detail
