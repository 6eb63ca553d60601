#include <mx/engine/threaded_var.h>

namespace mx::engine::detail {

void ThreadedVar::enqueue(VarEntry* entry) {
  if (tail_ != nullptr) {
    tail_->next = entry;
  } else {
    head_ = entry;
  }
  tail_ = entry;
}

VarEntry* ThreadedVar::start_queued_write() {
  VarEntry* write = head_;
  head_ = write->next;
  if (head_ == nullptr) tail_ = nullptr;
  write->next = nullptr;
  write_running_ = true;
  return write;
}

bool ThreadedVar::append_read(VarEntry* entry) {
  std::lock_guard lock(mutex);
  if (entry->op->trace_id != 0) note_traced_access(*entry);  // only while the profiler records
  if (!write_running_ && head_ == nullptr) {
    ++running_reads_;
    return true;
  }
  enqueue(entry);
  return false;
}

bool ThreadedVar::append_write(VarEntry* entry) {
  std::lock_guard lock(mutex);
  if (entry->op->trace_id != 0) note_traced_access(*entry);  // only while the profiler records
  if (!write_running_ && running_reads_ == 0 && head_ == nullptr) {
    write_running_ = true;
    return true;
  }
  enqueue(entry);
  return false;
}

VarEntry* ThreadedVar::complete_read() {
  std::lock_guard lock(mutex);
  --running_reads_;
  // A queued read never heads the queue here: it would have started with the reads now running.
  if (running_reads_ > 0 || head_ == nullptr) return nullptr;
  return start_queued_write();
}

VarEntry* ThreadedVar::complete_write(FailurePtr new_failure) {
  std::lock_guard lock(mutex);
  write_running_ = false;
  failure = std::move(new_failure);
  if (head_ == nullptr) return nullptr;
  if (head_->write) return start_queued_write();
  // Release the run of reads up to the next write.
  VarEntry* first = head_;
  VarEntry* last = head_;
  running_reads_ = 1;
  while (last->next != nullptr && !last->next->write) {
    last = last->next;
    ++running_reads_;
  }
  head_ = last->next;
  if (head_ == nullptr) tail_ = nullptr;
  last->next = nullptr;
  return first;
}

bool ThreadedVar::idle(FailurePtr* held) {
  std::lock_guard lock(mutex);
  if (write_running_ || running_reads_ != 0 || head_ != nullptr) return false;
  *held = failure;
  return true;
}

bool ThreadedVar::readable(FailurePtr* held) {
  std::lock_guard lock(mutex);
  // A queued entry means a write is running or waiting.
  if (write_running_ || head_ != nullptr) return false;
  *held = failure;
  return true;
}

}  // namespace mx::engine::detail
