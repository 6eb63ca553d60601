#include <mx/operators/recording.h>

namespace mx::op {

ThreadMode& thread_mode() {
  thread_local ThreadMode mode;
  return mode;
}

}  // namespace mx::op
