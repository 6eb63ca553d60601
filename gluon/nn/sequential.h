#pragma once
// Sequential and HybridSequential: children called in the order added, each one's output the next one's input.
//
//   nn::Sequential net;
//   net.add(nn::Dense(256, "relu"), nn::Dense(10));
#include <string>

#include <mx/gluon/block.h>

namespace mx::gluon::nn {

namespace detail {
template <class Base>
class SequentialOf : public Base {
 public:
  SequentialOf(std::string alias, Prefix prefix) : Base(std::move(alias), std::move(prefix)) {}
  // Stores copies, which share the given blocks' parameters.
  template <class... Blocks>
  void add(const Blocks&... blocks) {
    (this->register_child(blocks), ...);
  }
  NDArray forward(const NDArray& x) override {
    NDArray y = x;
    for (const auto& child : this->children()) y = (*child.second)(y);
    return y;
  }
  Block& operator[](std::size_t i) const { return *this->children().at(i).second; }
  std::size_t size() const { return this->children().size(); }
};
}  // namespace detail

class Sequential : public detail::SequentialOf<Block> {
 public:
  explicit Sequential(Prefix prefix = std::nullopt) : SequentialOf("sequential", std::move(prefix)) {}
  std::string repr() const override;
};
class HybridSequential : public detail::SequentialOf<HybridBlock> {
 public:
  explicit HybridSequential(Prefix prefix = std::nullopt) : SequentialOf("hybridsequential", std::move(prefix)) {}
  std::string repr() const override;
};

// Gluon contrib's Concurrent and HybridConcurrent: every child on the same input, outputs concatenated along
// `axis` (Inception's and DenseNet's branches).
namespace detail {
NDArray concatenate_children(const Block& block, const NDArray& x, int axis);

template <class Base>
class ConcurrentOf : public Base {
 public:
  ConcurrentOf(std::string alias, int axis, Prefix prefix) : Base(std::move(alias), std::move(prefix)), axis_(axis) {}
  template <class... Blocks>
  void add(const Blocks&... blocks) {
    (this->register_child(blocks), ...);
  }
  NDArray forward(const NDArray& x) override { return concatenate_children(*this, x, axis_); }

 private:
  int axis_;
};
}  // namespace detail

class Concurrent : public detail::ConcurrentOf<Block> {
 public:
  explicit Concurrent(int axis = -1, Prefix prefix = std::nullopt) : ConcurrentOf("concurrent", axis, std::move(prefix)) {}
  std::string repr() const override;
};
class HybridConcurrent : public detail::ConcurrentOf<HybridBlock> {
 public:
  explicit HybridConcurrent(int axis = -1, Prefix prefix = std::nullopt)
      : ConcurrentOf("hybridconcurrent", axis, std::move(prefix)) {}
  std::string repr() const override;
};

}  // namespace mx::gluon::nn
