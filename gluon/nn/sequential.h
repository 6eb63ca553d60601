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
class Concurrent : public Block {
 public:
  explicit Concurrent(int axis = -1, Prefix prefix = std::nullopt) : Block("concurrent", std::move(prefix)), axis_(axis) {}
  template <class... Blocks>
  void add(const Blocks&... blocks) {
    (register_child(blocks), ...);
  }
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  int axis_;
};
class HybridConcurrent : public HybridBlock {
 public:
  explicit HybridConcurrent(int axis = -1, Prefix prefix = std::nullopt)
      : HybridBlock("hybridconcurrent", std::move(prefix)), axis_(axis) {}
  template <class... Blocks>
  void add(const Blocks&... blocks) {
    (register_child(blocks), ...);
  }
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  int axis_;
};

}  // namespace mx::gluon::nn
