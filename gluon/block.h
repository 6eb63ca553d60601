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
//
// Naming. Parameters are named by their path in the tree ("dense.weight") unless the network is built the way
// MXNet 1.x names things: every block has a prefix ("dense0_", counted per kind on this thread, or the `prefix`
// its constructor was given), and blocks built inside a parent's name_scope() get the parent's prefix before
// their own ("model0_dense0_"). Parameters of a block built in a scope, given a prefix, or whose own
// name_scope() was opened are named prefix + name ("model0_dense0_weight"), as MXNet 1.x's collect_params().
// Blocks built in a scope are numbered when registered, so net.add(Dense(4), Dense(2)) numbers them left to
// right as Python does, whatever order C++ builds the arguments in.
//
//   struct Model : gluon::HybridBlock {
//     nn::Dense& dense0 = emplace_child<nn::Dense>("dense0", 20);  // built in this block's scope
//     nn::Dense& dense1 = emplace_child<nn::Dense>("dense1", 10);
//     Model() : HybridBlock("model") {}
//     ...
//   };
//   nn::HybridSequential net;
//   { auto scope = net.name_scope(); net.add(nn::Dense(10)); }  // hybridsequential0_dense0_weight
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mx/gluon/parameter.h>
#include <mx/graph/symbol.h>
#include <mx/ndarray/error.h>

namespace mx::gluon {

namespace detail {
struct BlockState;
struct HybridCache;
}

// HybridBlock::hybridize's options, as MXNet's.
struct HybridizeOptions {
  bool active = true;        // false turns hybridize off again
  bool static_alloc = false; // keep each cached graph's workspace across calls (one allocation)
  bool static_shape = false; // accepted for MXNet's API; graphs are cached per input shape either way
  bool bulk = true;          // run a graph as one engine operation outside autograd::record
};

// A block constructor's `prefix` option: unset lets the block be numbered ("dense0_"); "" is MXNet's empty
// prefix (no name of its own, and its name_scope() adds nothing).
using Prefix = std::optional<std::string>;

// A forward hook's registration (MXNet's HookHandle): detach() removes the hook; dropping the handle keeps it.
class HookHandle {
 public:
  HookHandle() = default;
  void detach();

 private:
  friend class Block;
  HookHandle(std::weak_ptr<detail::BlockState> block, std::uint64_t id) : block_(std::move(block)), id_(id) {}
  std::weak_ptr<detail::BlockState> block_;
  std::uint64_t id_ = 0;
};

// What register_op_hook's callback is given: the operator output's name ("dense0_fwd_output"), the operator
// ("FullyConnected"), and the array.
using OpHook = std::function<void(const std::string& name, const std::string& op, const NDArray& array)>;

// While alive, blocks built on this thread are children of `block` for naming (Block::name_scope()).
class NameScope {
 public:
  NameScope(NameScope&& other) noexcept;
  NameScope& operator=(NameScope&&) = delete;
  ~NameScope();

 private:
  friend class Block;
  explicit NameScope(std::shared_ptr<detail::BlockState> block);
  std::shared_ptr<detail::BlockState> previous_;
  bool active_ = false;
};

class Block {
 public:
  // `alias` is the kind MXNet numbers the block by ("dense", "conv", or a custom block's lower-cased class name).
  explicit Block(std::string alias = "block", Prefix prefix = std::nullopt);
  virtual ~Block() = default;
  Block(const Block&) = default;
  Block& operator=(const Block&) = default;

  // The computation, on NDArrays. Called through operator(), which also feeds summary().
  virtual NDArray forward(const NDArray& x) = 0;
  NDArray operator()(const NDArray& x);

  // The block's kind and configuration, as Gluon prints them: "Dense(784 -> 256, Activation(relu))".
  virtual std::string repr() const;

  // MXNet's forward hooks, called by operator(): before forward with the block and its input, and after it with
  // the input and the output, in the order registered. A hybridized block calls its own at each call; the hooks
  // of blocks inside a hybridized one do not run (their work is in the cached graph, which register_op_hook
  // sees into), nor while a graph is traced.
  using ForwardPreHook = std::function<void(Block& block, const NDArray& input)>;
  using ForwardHook = std::function<void(Block& block, const NDArray& input, const NDArray& output)>;
  HookHandle register_forward_pre_hook(ForwardPreHook hook);
  HookHandle register_forward_hook(ForwardHook hook);
  // MXNet's register_op_hook, here and in every child: once hybridized, calls run the cached graph operator by
  // operator (not bulked) and call `hook` on the calling thread after each operator with each of its outputs
  // and, with monitor_all, before it with each input ("dense0_fwd_input0"). Reading the array is a sync point.
  // An empty hook removes it.
  void register_op_hook(OpHook hook, bool monitor_all = false);
  // `fn` on every descendant, children before parents, then on this block (MXNet's apply). Returns *this.
  Block& apply(const std::function<void(Block&)>& fn);

  // Registers a child under `name` (its index among the children when empty) and returns the stored copy.
  template <class B>
    requires std::derived_from<B, Block>
  B& register_child(const B& child, std::string name = "") {
    auto stored = std::make_shared<B>(child);
    B& ref = *stored;
    add_child(std::move(stored), std::move(name));
    return ref;
  }
  // Builds B(args...) inside this block's name scope and registers it under `name`.
  template <class B, class... Args>
    requires std::derived_from<B, Block>
  B& emplace_child(std::string name, Args&&... args) {
    std::shared_ptr<B> stored;
    {
      NameScope scope = name_scope();
      stored = std::make_shared<B>(std::forward<Args>(args)...);
    }
    B& ref = *stored;
    add_child(std::move(stored), std::move(name));
    return ref;
  }

  // MXNet 1.x's names: "hybridsequential0_" and "hybridsequential0".
  std::string prefix() const;
  std::string name() const;
  // Blocks built while the returned scope lives are named under this block's prefix.
  [[nodiscard]] NameScope name_scope();
  // Registers a parameter under its name and returns it (a handle sharing the given one's arrays).
  Parameter register_parameter(Parameter parameter);

  // Every parameter of the tree, by path ("0.weight", "dense.bias") or MXNet name ("dense0_weight", see
  // Naming above), or those whose name matches `select`.
  ParameterDict collect_params(const std::string& select = "") const;
  // collect_params().initialize(...): MXNet's default initializer is Uniform(0.07).
  void initialize(const init::InitializerRef& init = init::Uniform(), const std::vector<Context>& ctx = {current_context()},
                  bool force_reinit = false);
  void zero_grad();
  // Converts every parameter to `dtype`.
  void cast(DType dtype);

  // The parameters in MXNet's NDArray file format under their paths (MXNet 1.x's save_parameters).
  void save_parameters(const std::string& path) const;
  // Loads onto `ctx` a file whose names are paths (save_parameters) or MXNet names ("dense0_weight", from
  // MXNet's save_params or export, "arg:"/"aux:" stripped); whichever matches the network better is used, logged,
  // and returned. Missing, extra or mis-shaped parameters are an mx::Error naming the file and listing them all,
  // unless allowed; nothing is changed when the load fails.
  ParameterNaming load_parameters(const std::string& path, const std::vector<Context>& ctx = {current_context()},
                                  bool allow_missing = false, bool ignore_extra = false);

  // Hybridizes the HybridBlocks of the tree (a Block's own forward stays imperative; MXNet's Block.hybridize).
  virtual void hybridize(HybridizeOptions options = {});

  // Runs x through the block and prints each layer, its output shape and parameter count, and the totals.
  void summary(const NDArray& x, std::ostream& os);
  void summary(const NDArray& x);

  const std::vector<std::pair<std::string, std::shared_ptr<Block>>>& children() const;

 protected:
  void add_child(std::shared_ptr<Block> child, std::string name);
  const std::vector<std::pair<std::string, Parameter>>& own_parameters() const;

 private:
  // A parameter under both namings; use_prefixed says which one collect_params shows.
  struct NamedParameter {
    std::string path, prefixed;
    bool use_prefixed;
    Parameter parameter;
  };
  void collect_into(const std::string& path, std::vector<NamedParameter>& out) const;
  std::vector<NamedParameter> named_parameters() const;

  friend class HybridBlock;
  NDArray call_hybridized(const NDArray& x);
  NDArray call_forward(const NDArray& x);  // forward, or the cached graph, without the hooks

  std::shared_ptr<detail::BlockState> state_;
};

// A block whose forward can be traced into a cached graph. After hybridize(), the first call with a new
// signature (input shape, dtype, context, training mode) traces forward (the same C++ code, its operator calls
// recorded instead of run; reading a value while tracing is an mx::Error saying why) and caches the graph;
// calls with that signature run the graph: outside autograd::record as one bulked engine operation with
// planned memory, under record node by node, so that autograd records them as it would the forward itself.
class HybridBlock : public Block {
 public:
  explicit HybridBlock(std::string alias = "hybridblock", Prefix prefix = std::nullopt)
      : Block(std::move(alias), std::move(prefix)) {}

  void hybridize(HybridizeOptions options = {}) override;
  bool is_hybridized() const;
  // Runs this block's operators under AMP to `target` (amp::convert_hybrid_block), or not (nullopt); the cached
  // graphs are traced again.
  void set_amp_target(std::optional<DType> target);

  using Block::operator();
  // The block on a symbol (MXNet's net(mx.sym.var('data'))): forward traced into a Symbol over `x`, a variable,
  // and the parameters under their collect_params() names. The shape traced is x's "__shape__" (sym::var's
  // shape option), else the input shape of the last call. mx::Error when forward calls an operator without a
  // symbol form.
  sym::Symbol operator()(const sym::Symbol& x);
  // MXNet's export: `path`-symbol.json and `path`-%04d.params (epoch; "arg:"/"aux:" names) in MXNet 1.x's
  // formats, for the input shape of the last call. The block must be hybridized and called once, as in MXNet.
  void export_(const std::string& path, int epoch = 0);
  // Traces forward on an input of x's shape, dtype and context without computing anything (x's values are
  // never read): fills every deferred parameter shape, initializing those waiting for it (MXNet's
  // infer_shape). Returns the output's shape.
  Shape infer_shape(const NDArray& x);

  // What the cache holds, for tests and benchmarks.
  struct CacheInfo {
    std::size_t graphs = 0;          // signatures traced and kept
    std::size_t traces = 0;          // traces so far
    std::size_t operations = 0;      // operators in the last graph used
    bool bulked = false;             // whether the last call ran as one engine operation
    std::int64_t workspace_bytes = 0;  // the last graph's planned workspace
    std::int64_t unplanned_bytes = 0;  // what its intermediates take without reuse
  };
  CacheInfo cache_info() const;
  // Forgets the traced graphs (the next call traces again).
  void clear_cache();
};

}  // namespace mx::gluon
