#pragma once
// Gluon's Block: a piece of a network with parameters and child blocks, called as net(x). Blocks have Python's
// reference semantics: a copy shares its parameters and children with the original, so layers can be held by
// value (`nn::Dense dense{10};`) and registered (`register_child(dense, "dense")`), and Sequential stores copies.
// A block's own plain member variables are not shared by its copies; keep state in Parameters.
//
//   struct Net : gluon::HybridBlock {
//     nn::Dense dense{10};
//     Net() { register_child(dense, "dense"); }
//     NDArray forward(const NDArray& x) override { return dense(x); }
//   };
#include <iosfwd>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <mx/gluon/parameter.h>
#include <mx/ndarray/error.h>

namespace mx::gluon {

namespace detail {
struct BlockState;
}

class Block {
 public:
  Block();
  virtual ~Block() = default;
  Block(const Block&) = default;
  Block& operator=(const Block&) = default;

  // The computation, on NDArrays. Called through operator(), which also feeds summary().
  virtual NDArray forward(const NDArray& x) = 0;
  NDArray operator()(const NDArray& x);

  // The block's kind and configuration, as Gluon prints them: "Dense(784 -> 256, Activation(relu))".
  virtual std::string repr() const;

  // Registers a child under `name` (its index among the children when empty) and returns the stored copy.
  template <class B>
    requires std::derived_from<B, Block>
  B& register_child(const B& child, std::string name = "") {
    auto stored = std::make_shared<B>(child);
    B& ref = *stored;
    add_child(std::move(stored), std::move(name));
    return ref;
  }
  // Registers a parameter under its name and returns it (a handle sharing the given one's arrays).
  Parameter register_parameter(Parameter parameter);

  // Every parameter of the tree, by path ("0.weight", "dense.bias"), or those whose path matches `select`.
  ParameterDict collect_params(const std::string& select = "") const;
  // collect_params().initialize(...): MXNet's default initializer is Uniform(0.07).
  void initialize(const init::InitializerRef& init = init::Uniform(), const std::vector<Context>& ctx = {cpu()},
                  bool force_reinit = false);
  void zero_grad();
  // Converts every parameter to `dtype`.
  void cast(DType dtype);

  // The parameters in MXNet's NDArray file format under their paths (MXNet 1.x's save_parameters).
  void save_parameters(const std::string& path) const;
  // Loads onto `ctx`. Missing, extra or mis-shaped parameters are an mx::Error naming the file and listing
  // them all, unless allowed; nothing is changed when the load fails.
  void load_parameters(const std::string& path, const std::vector<Context>& ctx = {cpu()}, bool allow_missing = false,
                       bool ignore_extra = false);

  // Runs x through the block and prints each layer, its output shape and parameter count, and the totals.
  void summary(const NDArray& x, std::ostream& os);
  void summary(const NDArray& x);

  const std::vector<std::pair<std::string, std::shared_ptr<Block>>>& children() const;

 protected:
  void add_child(std::shared_ptr<Block> child, std::string name);
  const std::vector<std::pair<std::string, Parameter>>& own_parameters() const;

 private:
  void collect_into(const std::string& prefix, ParameterDict& dict) const;

  std::shared_ptr<detail::BlockState> state_;
};

// A block that can be traced into a cached graph (the hybridize issue); for now it runs as a Block.
class HybridBlock : public Block {};

}  // namespace mx::gluon
