// The NDArray methods of autograd: attach_grad, grad, zero_grad, backward (detach lives with NDArray).
#include <mx/autograd/autograd.h>
#include <mx/autograd/graph.h>
#include <mx/engine/error.h>
#include <mx/operators/creation.h>

namespace mx {

namespace {
const detail::AutogradEntry& variable_entry(const NDArray& x, const char* caller) {
  const detail::AutogradEntry* entry = x.autograd_entry().get();
  if (entry != nullptr && entry->is_variable() && entry->row_sparse()) {
    throw Error(std::string(caller) + ": the array's gradient is kept row sparse; read it with "
                "autograd::row_sparse_grad (a Parameter's with row_sparse_grad)");
  }
  if (entry == nullptr || !entry->is_variable() || entry->grad.is_none()) {
    throw Error(std::string(caller) + ": the array has no gradient buffer; call attach_grad on it first");
  }
  return *entry;
}
}  // namespace

void NDArray::attach_grad(GradReq grad_req) {
  if (is_none()) throw Error("attach_grad: the array is empty (a default-constructed handle)");
  auto entry = std::make_shared<detail::AutogradEntry>();
  entry->grad_req = grad_req;
  if (grad_req != GradReq::kNull) entry->grad = nd::zeros(shape(), context(), dtype());
  set_autograd_entry(std::move(entry));
}

NDArray NDArray::grad() const { return variable_entry(*this, "grad").grad; }

void NDArray::zero_grad() {
  NDArray buffer = variable_entry(*this, "zero_grad").grad;
  nd::fill(buffer, 0);
}

void NDArray::backward() const { autograd::backward({*this}); }

void NDArray::backward(const NDArray& head_grad, bool retain_graph) const {
  autograd::backward({*this}, head_grad.is_none() ? std::vector<NDArray>{} : std::vector<NDArray>{head_grad},
                     retain_graph);
}

namespace nd {
NDArray stop_gradient(const NDArray& x) { return x.detach(); }
}  // namespace nd

}  // namespace mx
