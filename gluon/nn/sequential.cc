#include <mx/gluon/nn/sequential.h>

#include <mx/ndarray/error.h>
#include <mx/operators/shape_ops.h>

namespace mx::gluon::nn {
namespace {
std::string sequential_repr(const char* kind, const Block& block) {
  std::string s = std::string(kind) + "(\n";
  for (const auto& [name, child] : block.children()) s += "  (" + name + "): " + child->repr() + "\n";
  return s + ")";
}

}  // namespace

NDArray detail::concatenate_children(const Block& block, const NDArray& x, int axis) {
  if (block.children().empty()) throw Error("Concurrent: no children to run");
  std::vector<NDArray> outputs;
  for (const auto& child : block.children()) outputs.push_back((*child.second)(x));
  const int dim = axis < 0 ? axis + outputs.front().ndim() : axis;
  return outputs.size() == 1 ? outputs.front() : nd::concat(outputs, dim);
}

std::string Sequential::repr() const { return sequential_repr("Sequential", *this); }
std::string HybridSequential::repr() const { return sequential_repr("HybridSequential", *this); }
std::string Concurrent::repr() const { return sequential_repr("Concurrent", *this); }
std::string HybridConcurrent::repr() const { return sequential_repr("HybridConcurrent", *this); }

}  // namespace mx::gluon::nn
