// The thread-local mode and the scopes that set it.
#include <mx/autograd/autograd.h>
#include <mx/autograd/graph.h>

namespace mx::autograd {

using op::thread_mode;

bool is_recording() { return thread_mode().recorder != nullptr; }
bool is_training() { return thread_mode().training; }

bool set_recording(bool recording) {
  const bool previous = is_recording();
  thread_mode().recorder = recording ? &detail::graph_recorder() : nullptr;
  return previous;
}

bool set_training(bool training) {
  const bool previous = is_training();
  thread_mode().training = training;
  return previous;
}

record::record(bool train_mode) : saved_(thread_mode()) {
  thread_mode() = {&detail::graph_recorder(), train_mode, thread_mode().tracer};
}
record::~record() { thread_mode() = saved_; }

pause::pause(bool train_mode) : saved_(thread_mode()) { thread_mode() = {nullptr, train_mode, thread_mode().tracer}; }
pause::~pause() { thread_mode() = saved_; }

train_mode::train_mode() : saved_(set_training(true)) {}
train_mode::~train_mode() { set_training(saved_); }

predict_mode::predict_mode() : saved_(set_training(false)) {}
predict_mode::~predict_mode() { set_training(saved_); }

}  // namespace mx::autograd
