#pragma once
// What operators know of hybridize: while a Tracer is set on the calling thread, an operator call is checked and
// inferred as usual, its outputs are made with their shapes but no values, and the call is handed to the tracer
// as a graph node instead of being pushed into the engine. The graph layer implements the tracer.
#include <functional>
#include <span>
#include <string>

#include <mx/ndarray/ndarray.h>
#include <mx/operators/registry.h>
#include <mx/operators/symbolic.h>

namespace mx::op {

// One traced call, able to run again on other arrays.
struct TracedCall {
  const char* name = nullptr;  // the operator's; lives as long as the program
  Context ctx;
  // Runs the call imperatively (pushed, recorded by autograd while recording). Empty handles among `outputs`
  // receive new arrays; existing ones are written in place.
  std::function<void(std::span<const NDArray> inputs, std::span<NDArray> outputs)> run = {};
  // The compute function with the call's parameters bound, for running the node inside a bulked engine
  // operation; empty when the call is not one plain operation (a composition, a copy between devices).
  std::function<void(std::span<const Blob> inputs, std::span<const Blob> outputs, const ComputeContext&)> compute = {};
  // The call as a node of MXNet's symbol JSON (symbolic.h): its attributes, and whether the operator has a
  // symbol form at all (an operator with parameters and no to_attrs has none, and cannot be exported).
  Attrs attrs = {};
  bool symbolic = false;
};

class Tracer {
 public:
  virtual ~Tracer() = default;
  // `outputs` hold the call's outputs: new arrays without values, or existing arrays written in place.
  virtual void trace(TracedCall call, std::span<const NDArray> inputs, std::span<const NDArray> outputs) = 0;
  // A Composite (symbolic.h): calls between enter and leave are parts of one symbol node. leave's outputs are
  // empty when the composite ended by an exception.
  virtual void enter_composite() {}
  virtual void leave_composite(const char* op, Attrs attrs, std::span<const NDArray> inputs,
                               std::span<const NDArray> outputs) {
    (void)op, (void)attrs, (void)inputs, (void)outputs;
  }
  // A SymbolNameScope.
  virtual void enter_name_scope(const std::string& prefix, bool first_is_fwd) { (void)prefix, (void)first_is_fwd; }
  virtual void leave_name_scope() {}
};

// The calling thread's tracer (nullptr when not tracing).
Tracer*& thread_tracer();
inline bool is_tracing() { return thread_tracer() != nullptr; }

// Stops tracing (and lifts ForbidValueReads) for its lifetime: for work that must really run while a forward
// is traced, such as a parameter's deferred initialization.
class PauseTracing {
 public:
  PauseTracing() : saved_(thread_tracer()), reads_(nullptr) { thread_tracer() = nullptr; }
  ~PauseTracing() { thread_tracer() = saved_; }
  PauseTracing(const PauseTracing&) = delete;
  PauseTracing& operator=(const PauseTracing&) = delete;

 private:
  Tracer* saved_;
  ForbidValueReads reads_;
};

}  // namespace mx::op
