#include <mx/gluon/nn/sequential.h>

namespace mx::gluon::nn {
namespace {
std::string sequential_repr(const char* kind, const Block& block) {
  std::string s = std::string(kind) + "(\n";
  for (const auto& [name, child] : block.children()) s += "  (" + name + "): " + child->repr() + "\n";
  return s + ")";
}
}  // namespace

std::string Sequential::repr() const { return sequential_repr("Sequential", *this); }
std::string HybridSequential::repr() const { return sequential_repr("HybridSequential", *this); }

}  // namespace mx::gluon::nn
