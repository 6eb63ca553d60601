#pragma once
// Calling an operator on arrays: inference and validation on the calling thread (errors are thrown here, at the
// call), the outputs' handles (host storage is reserved as the operation runs), then one engine push with the
// inputs as reads and the outputs as writes.
#include <algorithm>
#include <initializer_list>
#include <span>
#include <string>
#include <utility>

#include <mx/engine/cross_thread_alloc.h>
#include <mx/engine/engine.h>
#include <mx/engine/error.h>
#include <mx/engine/trace.h>
#include <mx/ndarray/ndarray.h>
#include <mx/operators/inline_list.h>
#include <mx/operators/registry.h>
#include <mx/operators/tracing.h>

namespace mx::op {

namespace detail {
using Infos = InlineList<ArrayInfo, 3>;
using Blobs = InlineList<Blob, 3>;
using LazyBlobs = InlineList<LazyBlob, 3>;
using Vars = InlineList<engine::VarHandle, 4>;

// The steps that do not depend on the parameters' type, shared by every operator.
struct Prepared {
  Context ctx;
  LazyBlobs inputs, outputs;  // resolved as the operation runs
  Vars reads, writes;
};
// Checks the inputs share one context (or takes `ctx` when there are none) and are not empty.
Context common_context(const char* op, std::span<const NDArray> inputs, Context ctx);
void collect_inputs(const char* op, std::span<const NDArray> inputs, Infos& infos);
// Creates the outputs that are empty handles; checks the given ones against inference.
void prepare_outputs(const char* op, const Infos& inferred, std::span<NDArray> outputs, Context ctx);
void collect_blobs(std::span<const NDArray> inputs, std::span<NDArray> outputs, Prepared& prepared);
Blobs resolve(const LazyBlobs& lazy);
[[noreturn]] void throw_no_gpu(const char* op, Context ctx);
void check_arity(const char* op, int expected, std::size_t given);
// For the profiler: "float32 (128, 784); float32 (256, 784)", and the call's span on the calling thread.
std::string describe(const Infos& inputs);
void record_api_call(const char* op, std::int64_t start_ns);
// Automatic mixed precision (amp.h): the inputs cast as the operator's class says, new arrays kept in `casts`;
// the inputs themselves when AMP is off or nothing needs a cast.
std::span<const NDArray> amp_cast(const char* op, std::span<const NDArray> inputs, std::vector<NDArray>& casts);

template <class P>
void trace_call(Tracer& tracer, const Operator<P>& op, const P& params, std::span<const NDArray> inputs,
                std::span<NDArray> outputs, Context ctx, decltype(Operator<P>::cpu) compute);
}  // namespace detail

// Runs `op` on `inputs`. Each entry of `outputs` that is an empty handle receives a new array; an existing array
// is written in place (out= arguments, +=) after checking its shape and dtype. `ctx` places operators without
// inputs (creation, random). Returns at once.
template <class P>
void invoke(const Operator<P>& op, std::span<const NDArray> inputs, const P& params, std::span<NDArray> outputs,
            Context ctx = current_context()) {
  const std::int64_t api_start = engine::trace::enabled(engine::trace::kApi) ? engine::trace::now() : 0;
  if (op.num_inputs != kVariadic) detail::check_arity(op.name, op.num_inputs, inputs.size());
  const bool in_place = std::any_of(outputs.begin(), outputs.end(), [](const NDArray& o) { return !o.is_none(); });
  std::vector<NDArray> amp_casts;
  if (!in_place) inputs = detail::amp_cast(op.name, inputs, amp_casts);  // writes into given arrays keep their dtype
  detail::Prepared prepared;
  prepared.ctx = detail::common_context(op.name, inputs, ctx);
  detail::Infos in_infos, out_infos(outputs.size());
  detail::collect_inputs(op.name, inputs, in_infos);
  op.infer(params, in_infos, out_infos);
  detail::prepare_outputs(op.name, out_infos, outputs, prepared.ctx);
  auto compute = prepared.ctx.is_gpu() ? op.gpu : op.cpu;
  if (compute == nullptr) detail::throw_no_gpu(op.name, prepared.ctx);
  const ThreadMode& mode = thread_mode();
  if (mode.tracer != nullptr) {
    detail::trace_call(*mode.tracer, op, params, inputs, outputs, prepared.ctx, compute);
    return;
  }
  if (mode.recorder != nullptr && op.gradient != nullptr) {
    mode.recorder->record(op.name, inputs, outputs,
                          [params, gradient = op.gradient](const GradientArgs& args) { return gradient(params, args); },
                          in_place);
  }
  detail::collect_blobs(inputs, outputs, prepared);
  engine::PushOptions options;
  options.name = op.name;
  if (engine::trace::enabled(engine::trace::kOperators)) options.args = detail::describe(in_infos);
  engine::Engine::get().push_sync(
      engine::cross_thread_fn([compute, params, ins = prepared.inputs, outs = prepared.outputs,
                               training = mode.training](engine::RunContext run) {
        compute(params, detail::resolve(ins), detail::resolve(outs), ComputeContext{run, training});
      }),
      prepared.ctx, std::span<const engine::VarHandle>(prepared.reads),
      std::span<const engine::VarHandle>(prepared.writes), std::move(options));
  if (api_start != 0) detail::record_api_call(op.name, api_start);
}

template <class P>
void detail::trace_call(Tracer& tracer, const Operator<P>& op, const P& params, std::span<const NDArray> inputs,
                        std::span<NDArray> outputs, Context ctx, decltype(Operator<P>::cpu) compute) {
  TracedCall call;
  call.name = op.name;
  call.ctx = ctx;
  call.run = [&op, params, ctx](std::span<const NDArray> in, std::span<NDArray> out) {
    invoke(op, in, params, out, ctx);
  };
  call.compute = [compute, params](std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& c) {
    compute(params, in, out, c);
  };
  call.symbolic = std::is_empty_v<P> || op.to_attrs != nullptr;
  if (op.to_attrs != nullptr) op.to_attrs(params, static_cast<int>(inputs.size()), call.attrs);
  tracer.trace(std::move(call), inputs, outputs);
}

// The number of outputs `op` gives for these parameters and inputs.
template <class P>
int output_count(const Operator<P>& op, const P& params, int num_inputs) {
  if (op.count_outputs == nullptr) return op.num_outputs;
  const int count = op.count_outputs(params, num_inputs);
  // Checked here, before arrays are made for them: a parameter such as num_outputs=-1 comes from the user.
  if (count < 0) throw mx::Error(std::string(op.name) + ": its parameters ask for " + std::to_string(count) + " outputs");
  return count;
}

// One-output forms: a new array, or `out` written in place.
template <class P>
NDArray invoke1(const Operator<P>& op, std::initializer_list<NDArray> inputs, const P& params = {},
                Context ctx = current_context()) {
  NDArray out;
  invoke(op, std::span(inputs.begin(), inputs.size()), params, std::span(&out, 1), ctx);
  return out;
}
template <class P>
NDArray& invoke_into(const Operator<P>& op, std::initializer_list<NDArray> inputs, NDArray& out, const P& params = {}) {
  invoke(op, std::span(inputs.begin(), inputs.size()), params, std::span(&out, 1));
  return out;
}

template <class P>
SymbolOp symbol_form(const Operator<P>& op) {
  auto parse = [op](const Attrs& attrs, int num_inputs) {
    AttrReader reader(op.name, attrs);
    P params{};
    if (op.from_attrs != nullptr) params = op.from_attrs(reader, num_inputs);
    reader.finish();
    return params;
  };
  SymbolOp form;
  form.call = [op, parse](const Attrs& attrs, std::span<const NDArray> inputs) {
    const int n = static_cast<int>(inputs.size());
    const P params = parse(attrs, n);
    std::vector<NDArray> outputs(static_cast<std::size_t>(output_count(op, params, n)));
    invoke(op, inputs, params, std::span<NDArray>(outputs));
    return outputs;
  };
  form.count_outputs = [op, parse](const Attrs& attrs, int n) { return output_count(op, parse(attrs, n), n); };
  for (const char* name : op.input_names) {
    if (name != nullptr) form.input_names.emplace_back(name);
  }
  return form;
}

}  // namespace mx::op
