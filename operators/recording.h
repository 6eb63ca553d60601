#pragma once
// What operators know of autograd: the calling thread's mode (recording, training) and the recorder that
// operator calls report to while recording. The autograd layer implements the recorder and sets the mode through
// its scopes; operators declare their gradients in terms of other operators, so that gradients can be recorded in
// turn (higher-order derivatives).
#include <any>
#include <functional>
#include <span>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::op {

// What a gradient function sees: the call's inputs and outputs as they were, the gradients of the outputs
// (zeros where an output was not used), and which inputs need a gradient (others may be left empty).
// `grad_buffers` (empty, or one per input) offers the array an input's gradient ends up in (a variable's
// gradient buffer, when this is its only use): a gradient function may write its result there, in place of a
// new array, and save backward a copy.
//
// An input whose gradient is kept row sparse (an embedding table's, `wants_rows`) may instead be given its
// gradient as rows: their numbers along the input's first axis and their values, which autograd sums into the
// row-sparse buffer without ever making the dense gradient (give_rows; return an empty handle for that input).
struct RowGradient {
  NDArray rows;    // integers, (K,); a number may repeat, its rows then add
  NDArray values;  // (K, input.shape[1:]...)
  // Or, from operators of the sparse layer, the gradient already a RowSparseNDArray (std::any keeps this
  // layer unaware of that type).
  std::any row_sparse;
};
struct GradientArgs {
  std::span<const NDArray> inputs;
  std::span<const NDArray> outputs;
  std::span<const NDArray> output_grads;
  std::span<const bool> needs_input_grad;
  std::span<const NDArray> grad_buffers = {};
  std::span<const bool> rows_wanted = {};       // per input, or empty
  std::vector<RowGradient>* row_grads = nullptr;  // one slot per input when rows_wanted is not empty

  // The offered buffer for input i, or an empty handle.
  NDArray buffer(std::size_t i) const { return i < grad_buffers.size() ? grad_buffers[i] : NDArray(); }
  bool wants_rows(std::size_t i) const { return i < rows_wanted.size() && rows_wanted[i] && row_grads != nullptr; }
  void give_rows(std::size_t i, RowGradient rows) const { (*row_grads)[i] = std::move(rows); }
};
// One gradient per input, each of that input's shape; an empty handle means zero (or not needed).
using Gradient = std::function<std::vector<NDArray>(const GradientArgs&)>;

class Recorder {
 public:
  virtual ~Recorder() = default;
  // Called at each operator call while recording, before the computation is pushed. `outputs` receive their
  // place in the graph. `in_place`: the outputs are existing arrays written over (out=, +=). Throws mx::Error
  // for calls that cannot be recorded (in-place writes involving the graph).
  virtual void record(const char* op, std::span<const NDArray> inputs, std::span<NDArray> outputs,
                      Gradient gradient, bool in_place) = 0;
};

class Tracer;  // tracing.h

// The calling thread's mode. Thread-local: each thread records its own graph, as in MXNet.
struct ThreadMode {
  Recorder* recorder = nullptr;  // set while recording
  bool training = false;         // read by operators that behave differently in training (Dropout, BatchNorm)
  Tracer* tracer = nullptr;      // set while hybridize traces a forward (tracing.h)
};
ThreadMode& thread_mode();

inline bool is_recording() { return thread_mode().recorder != nullptr; }

// Stops recording for its lifetime, for operators that update state (BatchNorm's moving statistics).
class PauseRecording {
 public:
  PauseRecording() { thread_mode().recorder = nullptr; }
  ~PauseRecording() { thread_mode() = saved_; }
  PauseRecording(const PauseRecording&) = delete;
  PauseRecording& operator=(const PauseRecording&) = delete;

 private:
  ThreadMode saved_ = thread_mode();
};

// Records a call that made new `outputs` when recording; for operators that are not plain registry calls.
inline void record(const char* op, std::span<const NDArray> inputs, std::span<NDArray> outputs,
                   const Gradient& gradient) {
  if (Recorder* recorder = thread_mode().recorder) recorder->record(op, inputs, outputs, gradient, false);
}

}  // namespace mx::op
