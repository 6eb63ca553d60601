#include <mx/operators/invoke.h>

#include <string>

#include <mx/ndarray/error.h>

namespace mx::op::detail {

void check_arity(const char* op, int expected, std::size_t given) {
  if (static_cast<std::size_t>(expected) != given) {
    throw Error(std::string(op) + ": takes " + std::to_string(expected) + " input(s), " + std::to_string(given) +
                " given");
  }
}

std::string describe(const Infos& inputs) {
  std::string text;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const ArrayInfo& info = inputs.data()[i];
    if (!text.empty()) text += "; ";
    text += dtype_name(info.dtype);
    text += ' ';
    text += info.shape.str();
  }
  return text;
}

void record_api_call(const char* op, std::int64_t start_ns) {
  engine::trace::Event e;
  e.name = op;
  e.category = "api";
  e.host = true;
  e.worker = engine::trace::host_thread_id();
  e.start_ns = start_ns;
  e.end_ns = engine::trace::now();
  engine::trace::record(std::move(e));
}

Context common_context(const char* op, std::span<const NDArray> inputs, Context ctx) {
  if (inputs.empty()) return ctx;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].is_none()) throw Error(std::string(op) + ": input " + std::to_string(i) + " is an empty array");
  }
  const Context first = inputs[0].context();
  for (std::size_t i = 1; i < inputs.size(); ++i) {
    if (inputs[i].context() != first) {
      throw Error(std::string(op) + ": input 0 is on " + first.str() + " but input " + std::to_string(i) +
                  " is on " + inputs[i].context().str() + "; copy one with as_in_context");
    }
  }
  return first;
}

void collect_inputs(const char*, std::span<const NDArray> inputs, Infos& infos) {
  infos.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) infos[i] = {inputs[i].shape(), inputs[i].dtype()};
}

void prepare_outputs(const char* op, const Infos& inferred, std::span<NDArray> outputs, Context ctx) {
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const ArrayInfo& info = inferred[i];
    NDArray& out = outputs[i];
    if (out.is_none()) {
      out = NDArray(info.shape, ctx, info.dtype);
      continue;
    }
    if (out.shape() != info.shape) {
      throw ShapeError(std::string(op) + ": output " + std::to_string(i) + " has shape " + out.shape().str() +
                       " but the result has shape " + info.shape.str());
    }
    if (out.dtype() != info.dtype) {
      throw DTypeError(std::string(op) + ": output " + std::to_string(i) + " is " + dtype_name(out.dtype()) +
                       " but the result is " + dtype_name(info.dtype));
    }
    if (out.context() != ctx) {
      throw Error(std::string(op) + ": output " + std::to_string(i) + " is on " + out.context().str() +
                  " but the operation runs on " + ctx.str());
    }
    out.bump_version();  // written in place
  }
}

void collect_blobs(std::span<const NDArray> inputs, std::span<NDArray> outputs, Prepared& prepared) {
  prepared.inputs.resize(inputs.size());
  prepared.reads.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    prepared.inputs[i] = inputs[i].lazy_blob();
    prepared.reads[i] = inputs[i].var();
  }
  prepared.outputs.resize(outputs.size());
  prepared.writes.resize(outputs.size());
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    prepared.outputs[i] = outputs[i].lazy_blob();
    prepared.writes[i] = outputs[i].var();
  }
}

Blobs resolve(const LazyBlobs& lazy) {
  Blobs blobs(lazy.size());
  for (std::size_t i = 0; i < lazy.size(); ++i) blobs[i] = lazy[i].resolve();
  return blobs;
}

void throw_no_gpu(const char* op, Context ctx) {
  throw Error(std::string(op) + ": no implementation for " + ctx.str() + " (nothing falls back to the host)");
}

}  // namespace mx::op::detail
