#pragma once
// What both engines keep per variable: the failure it holds and whether it is being deleted.
#include <atomic>
#include <mutex>

#include <mx/engine/failure.h>

namespace mx::engine {

class Var {
 public:
  std::mutex mutex;
  detail::FailurePtr failure;        // guarded by mutex; set when the last write failed, cleared by a good one
  std::atomic<bool> deleted{false};  // delete_variable was pushed; a later push is a usage error
};

}  // namespace mx::engine
