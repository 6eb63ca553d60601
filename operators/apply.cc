// _apply: a user's callable over every element.
#include <mx/ndarray/convert.h>
#include <mx/ndarray/error.h>
#include <mx/operators/apply.h>
#include <mx/operators/invoke.h>
#include <mx/operators/parallel.h>

namespace mx::nd {
namespace {

struct ApplyParams {
  std::function<double(double)> fn;
};

void apply_cpu(const ApplyParams& p, std::span<const Blob> in, std::span<const Blob> out, const op::ComputeContext&) {
  dispatch_dtype(in[0].dtype, [&](auto tag) {
    using T = decltype(tag);
    const T* x = in[0].ptr<T>();
    T* y = out[0].ptr<T>();
    op::parallel_for(in[0].size(), [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) y[i] = convert_value<T>(p.fn(static_cast<double>(x[i])));
    });
  });
}

const op::Operator<ApplyParams> kApply = op::define<ApplyParams>({
    .name = "_apply",
    .infer = [](const ApplyParams&, std::span<const op::ArrayInfo> in, std::span<op::ArrayInfo> out) { out[0] = in[0]; },
    .cpu = &apply_cpu,
});

ApplyParams checked(std::function<double(double)> fn) {
  if (!fn) throw Error("apply: the callable is empty");
  return {std::move(fn)};
}

}  // namespace

NDArray apply(const NDArray& x, std::function<double(double)> fn) {
  return op::invoke1(kApply, {x}, checked(std::move(fn)));
}

NDArray& apply_(NDArray& x, std::function<double(double)> fn) {
  return op::invoke_into(kApply, {x}, x, checked(std::move(fn)));
}

}  // namespace mx::nd
