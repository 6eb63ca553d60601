// _copy, Cast and _copyto (copies between contexts).
#include <mx/ndarray/convert.h>
#include <mx/ndarray/device_memory.h>
#include <mx/ndarray/error.h>
#include <mx/operators/convert_split.h>
#include <mx/operators/copy.h>
#include <mx/operators/gpu_kernels.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd {
namespace {

using op::ArrayInfo;
using op::ComputeContext;

struct CastParams {
  DType dtype = DType::kFloat32;
};

void infer_cast(const CastParams& p, std::span<const ArrayInfo> in, std::span<ArrayInfo> out) {
  out[0] = {in[0].shape, p.dtype};
}

void convert_blob(const Blob& in, const Blob& out) {
  op::convert_split(in.data, in.dtype, out.data, out.dtype, out.size());
}

void cast_cpu(const CastParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext&) {
  if (in[0].data != out[0].data) convert_blob(in[0], out[0]);
}

#if MXPP_USE_CUDA
void cast_gpu(const CastParams&, std::span<const Blob> in, std::span<const Blob> out, const ComputeContext& ctx) {
  if (in[0].data != out[0].data) {
    op::gpu::cast(static_cast<int>(in[0].dtype), in[0].data, static_cast<int>(out[0].dtype), out[0].data,
                  out[0].size(), ctx.run.stream);
  }
}
#define MX_CAST_GPU &cast_gpu
#else
#define MX_CAST_GPU nullptr
#endif

// The gradient converted back to the input's dtype.
std::vector<NDArray> cast_gradient(const CastParams&, const op::GradientArgs& args) {
  const NDArray& g = args.output_grads[0];
  return {g.dtype() == args.inputs[0].dtype() ? g : astype(g, args.inputs[0].dtype())};
}

const op::Operator<CastParams> kCast = op::define<CastParams>(
    {.name = "Cast",
     .num_inputs = 1,
     .infer = &infer_cast,
     .cpu = &cast_cpu,
     .gpu = MX_CAST_GPU,
     .gradient = &cast_gradient,
     .to_attrs = [](const CastParams& p, int, op::Attrs& attrs) { attrs["dtype"] = dtype_name(p.dtype); },
     .from_attrs = [](op::AttrReader& attrs, int) {
       CastParams p;
       attrs.read("dtype", p.dtype);
       return p;
     }});
const op::Operator<CastParams> kCopy = op::define<CastParams>(
    {.name = "_copy", .num_inputs = 1, .infer = &infer_cast, .cpu = &cast_cpu, .gpu = MX_CAST_GPU,
     .gradient = &cast_gradient});

// Between a GPU and another context: the bytes move on the GPU's copy stream (host-to-device or device-to-host)
// or, between GPUs, on the destination's compute stream; a dtype change happens on the GPU side, after or before.
void copy_across_devices(const NDArray& x, NDArray& out) {
  if (x.dtype() != out.dtype()) {
    if (out.context().is_gpu()) {
      NDArray same_dtype(x.shape(), out.context(), x.dtype());
      copy_across_devices(x, same_dtype);
      op::invoke_into(kCast, {same_dtype}, out, CastParams{out.dtype()});
    } else {
      NDArray converted = astype(x, out.dtype());
      copy_across_devices(converted, out);
    }
    return;
  }
  out.bump_version();
  const Context src = x.context(), dst = out.context();
  const bool to_gpu = dst.is_gpu();
  engine::PushOptions options{.name = "_copyto", .category = "copy"};
  if (src.is_gpu() != dst.is_gpu()) options.prop = to_gpu ? engine::FnProperty::kCopyToGPU : engine::FnProperty::kCopyFromGPU;
  engine::Engine::get().push_sync(
      [in = x.blob(), dst_blob = out.blob(), src, dst](engine::RunContext run) {
        storage::copy_bytes(dst_blob.data, dst, in.data, src, static_cast<std::size_t>(in.size()) * dtype_size(in.dtype),
                            run.stream);
      },
      to_gpu ? dst : src, {x.var()}, {out.var()}, std::move(options));
}

}  // namespace

NDArray copy(const NDArray& x) { return op::invoke1(kCopy, {x}, CastParams{x.dtype()}); }

NDArray astype(const NDArray& x, DType dtype) { return op::invoke1(kCast, {x}, CastParams{dtype}); }

void copyto(const NDArray& x, NDArray& out) {
  if (x.is_none() || out.is_none()) throw Error("copyto: source and destination must be arrays, not empty handles");
  if (x.shape() != out.shape()) {
    throw ShapeError("copyto: source has shape " + x.shape().str() + ", destination " + out.shape().str());
  }
  if (x.context() == out.context()) {
    op::invoke_into(kCast, {x}, out, CastParams{out.dtype()});
    return;
  }
  if (op::is_tracing()) throw Error("copyto: a copy into an existing array on another device cannot be traced by hybridize; use as_in_context");
  if (x.context().is_gpu() || out.context().is_gpu()) {
    copy_across_devices(x, out);
    return;
  }
  // Between CPU contexts: the copy runs on the destination's workers, after the source's writers.
  out.bump_version();
  engine::Engine::get().push_sync([in = x.blob(), dst = out.blob()](engine::RunContext) { convert_blob(in, dst); },
                                  out.context(), {x.var()}, {out.var()},
                                  {.name = "_copyto", .category = "copy"});
}

NDArray as_in_context(const NDArray& x, Context ctx) {
  if (x.context() == ctx) return x;
  NDArray out(x.shape(), ctx, x.dtype());
  if (op::Tracer* tracer = op::thread_tracer()) {  // hybridize: a node that copies again at each run
    op::TracedCall traced{.name = "_copyto", .ctx = ctx};
    traced.run = [ctx](std::span<const NDArray> in, std::span<NDArray> o) { o[0] = as_in_context(in[0], ctx); };
    tracer->trace(std::move(traced), std::span(&x, 1), std::span(&out, 1));
    return out;
  }
  copyto(x, out);
  op::record("_copyto", std::span(&x, 1), std::span(&out, 1), [](const op::GradientArgs& args) {
    return std::vector<NDArray>{as_in_context(args.output_grads[0], args.inputs[0].context())};
  });
  return out;
}

}  // namespace mx::nd

namespace mx::op {

void convert_split(const void* in, DType in_dtype, void* out, DType out_dtype, std::int64_t count) {
  const std::size_t in_size = dtype_size(in_dtype), out_size = dtype_size(out_dtype);
  parallel_for(count, [&](std::int64_t begin, std::int64_t end) {
    convert_values(static_cast<const std::byte*>(in) + begin * in_size, in_dtype,
                   static_cast<std::byte*>(out) + begin * out_size, out_dtype, static_cast<std::size_t>(end - begin));
  });
}

}  // namespace mx::op
