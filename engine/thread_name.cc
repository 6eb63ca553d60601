#include <mx/engine/thread_name.h>

#include <pthread.h>

namespace mx::engine {
void set_thread_name(const std::string& name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());  // a name is only a label: failure is harmless
}
}  // namespace mx::engine
