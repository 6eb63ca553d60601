#include <mx/gluon/block.h>

#include <mx/gluon/block_state.h>

#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <mx/autograd/autograd.h>
#include <mx/engine/logging.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/amp.h>
#include <mx/operators/tracing.h>

namespace mx::gluon {

namespace {
// The block whose name_scope() is open on this thread, and MXNet's NameManager: top-level blocks numbered per
// alias, per thread.
thread_local std::shared_ptr<detail::BlockState> t_scope;
thread_local std::map<std::string, int> t_top_level_counter;

const std::string& own_prefix(detail::BlockState& state) {
  if (!state.own) {
    const auto parent = state.scope_parent.lock();
    if (state.given) state.own = *state.given;
    else if (parent) state.own = state.alias + std::to_string(parent->counter[state.alias]++) + "_";
    else state.own = state.alias + std::to_string(t_top_level_counter[state.alias]++) + "_";  // parent gone
  }
  return *state.own;
}

std::string full_prefix(detail::BlockState& state) {
  const auto parent = state.scoped ? state.scope_parent.lock() : nullptr;
  return (parent ? full_prefix(*parent) : std::string()) + own_prefix(state);
}
}  // namespace

NameScope::NameScope(std::shared_ptr<detail::BlockState> block) {
  if (block->empty_prefix) return;  // MXNet: an empty prefix opens no scope
  block->prefixed_names = true;
  previous_ = std::exchange(t_scope, std::move(block));
  active_ = true;
}

NameScope::NameScope(NameScope&& other) noexcept : previous_(std::move(other.previous_)), active_(other.active_) {
  other.active_ = false;
}

NameScope::~NameScope() {
  if (active_) t_scope = std::move(previous_);
}

namespace {

// What summary() collects while the network runs: one row per block call, in call order.
struct SummaryRow {
  int depth;
  std::string layer;
  Shape output;
  std::int64_t parameters;
};
struct SummaryRecorder {
  std::vector<SummaryRow> rows;
  int depth = 0;
};
thread_local SummaryRecorder* t_summary = nullptr;

std::string kind_of(const std::string& repr) { return repr.substr(0, repr.find('(')); }

}  // namespace

Block::Block(std::string alias, Prefix prefix) : state_(std::make_shared<detail::BlockState>()) {
  // MXNet 1.x's _BlockScope.create; a top-level block is numbered at once, in the order blocks are built.
  detail::BlockState& state = *state_;
  state.alias = std::move(alias);
  state.given = std::move(prefix);
  state.empty_prefix = state.given.has_value() && state.given->empty();
  if (t_scope) {
    state.scoped = true;
    state.scope_parent = t_scope;
    state.prefixed_names = true;
  } else {
    own_prefix(state);
    state.prefixed_names = state.given.has_value() && !state.given->empty();
  }
}

std::string Block::prefix() const { return full_prefix(*state_); }

std::string Block::name() const {
  std::string p = prefix();
  if (!p.empty() && p.back() == '_') p.pop_back();
  return p;
}

NameScope Block::name_scope() { return NameScope(state_); }

NDArray Block::operator()(const NDArray& x) {
  // Hooks see values: none while a graph is traced (this call is then a part of it).
  const bool hooks = !op::is_tracing() && (!state_->pre_hooks.empty() || !state_->hooks.empty());
  if (!hooks) return call_forward(x);
  const auto pre_hooks = state_->pre_hooks;  // copies: a hook may register or detach hooks
  for (const auto& [id, hook] : pre_hooks) hook(*this, x);
  NDArray y = call_forward(x);
  const auto post_hooks = state_->hooks;
  for (const auto& [id, hook] : post_hooks) hook(*this, x, y);
  return y;
}

NDArray Block::call_forward(const NDArray& x) {
  std::optional<amp::scope> mixed_precision;
  if (state_->amp) mixed_precision.emplace(state_->amp);
  // A hybridized block runs its cached graph, unless an enclosing block is tracing it into its own.
  if (state_->hybrid && t_summary == nullptr && !op::is_tracing()) return call_hybridized(x);
  // Traced into a symbol, the block's operators are named under its prefix; a layer's own is "<prefix>fwd".
  std::optional<op::SymbolNameScope> names;
  if (op::is_tracing()) names.emplace(prefix(), state_->children.empty());
  if (t_summary == nullptr) return forward(x);
  const std::size_t row = t_summary->rows.size();
  t_summary->rows.push_back({t_summary->depth, kind_of(repr()), {}, 0});
  ++t_summary->depth;
  NDArray y = forward(x);
  --t_summary->depth;
  t_summary->rows[row].output = y.shape();  // parameter shapes are known once the forward ran
  for (const auto& [name, p] : own_parameters()) t_summary->rows[row].parameters += p.shape().size();
  return y;
}

HookHandle Block::register_forward_pre_hook(ForwardPreHook hook) {
  if (!hook) throw Error("Block.register_forward_pre_hook: the hook is empty");
  const std::uint64_t id = ++state_->hooks_registered;
  state_->pre_hooks.emplace_back(id, std::move(hook));
  return HookHandle(state_, id);
}

HookHandle Block::register_forward_hook(ForwardHook hook) {
  if (!hook) throw Error("Block.register_forward_hook: the hook is empty");
  const std::uint64_t id = ++state_->hooks_registered;
  state_->hooks.emplace_back(id, std::move(hook));
  return HookHandle(state_, id);
}

void HookHandle::detach() {
  const std::shared_ptr<detail::BlockState> block = block_.lock();
  if (!block) return;
  std::erase_if(block->pre_hooks, [&](const auto& entry) { return entry.first == id_; });
  std::erase_if(block->hooks, [&](const auto& entry) { return entry.first == id_; });
}

void Block::register_op_hook(OpHook hook, bool monitor_all) {
  for (const auto& [name, child] : state_->children) child->register_op_hook(hook, monitor_all);
  if (hook) {
    state_->op_hook = graph::Monitor{std::move(hook), monitor_all};
  } else {
    state_->op_hook.reset();
  }
}

Block& Block::apply(const std::function<void(Block&)>& fn) {
  for (const auto& [name, child] : state_->children) child->apply(fn);
  fn(*this);
  return *this;
}

std::string Block::repr() const {
  std::string s = "Block(";
  for (std::size_t i = 0; i < state_->children.size(); ++i) {
    s += (i ? ", " : "") + state_->children[i].first + ": " + state_->children[i].second->repr();
  }
  return s + ")";
}

void Block::add_child(std::shared_ptr<Block> child, std::string name) {
  if (name.empty()) name = std::to_string(state_->children.size());
  for (const auto& existing : state_->children) {
    if (existing.first == name) throw Error("Block: a child named '" + name + "' is registered already");
  }
  own_prefix(*child->state_);  // numbered in registration order (see BlockState)
  state_->children.emplace_back(std::move(name), std::move(child));
}

Parameter Block::register_parameter(Parameter parameter) {
  const std::string own_name = parameter.name();
  for (const auto& existing : state_->parameters) {
    if (existing.first == own_name) throw Error("Block: a parameter named '" + own_name + "' is registered already");
  }
  state_->parameters.emplace_back(own_name, parameter);
  if (state_->prefixed_names && !state_->scoped) parameter.set_name(*state_->own + own_name);
  return parameter;
}

const std::vector<std::pair<std::string, std::shared_ptr<Block>>>& Block::children() const { return state_->children; }
const std::vector<std::pair<std::string, Parameter>>& Block::own_parameters() const { return state_->parameters; }

void Block::collect_into(const std::string& path, std::vector<NamedParameter>& out) const {
  for (const auto& [name, parameter] : state_->parameters) {
    out.push_back({path + name, prefix() + name, state_->prefixed_names, parameter});
  }
  for (const auto& [name, child] : state_->children) child->collect_into(path + name + ".", out);
}

std::vector<Block::NamedParameter> Block::named_parameters() const {
  std::vector<NamedParameter> all;
  collect_into("", all);
  return all;
}

ParameterDict Block::collect_params(const std::string& select) const {
  ParameterDict all;
  for (const NamedParameter& entry : named_parameters()) {
    const std::string& key = entry.use_prefixed ? entry.prefixed : entry.path;
    all.add(key, entry.parameter);
  }
  for (const auto& [key, parameter] : all) {
    Parameter handle = parameter;
    handle.set_name(key);  // errors name the parameter as the dictionary does from here on
  }
  return select.empty() ? all : all.select(select);
}

void Block::initialize(const init::InitializerRef& init, const std::vector<Context>& ctx, bool force_reinit) {
  collect_params().initialize(init, ctx, force_reinit);
}

void Block::zero_grad() { collect_params().zero_grad(); }

void Block::hybridize(HybridizeOptions options) {
  for (const auto& [name, child] : state_->children) child->hybridize(options);
}

void Block::cast(DType dtype) {
  state_->cache.reset();  // graphs traced for the old dtype
  for (const auto& item : collect_params()) {
    Parameter p = item.second;
    p.cast(dtype);
  }
}

void Block::save_parameters(const std::string& path) const {
  std::map<std::string, NDArray> arrays;
  ParameterDict by_path;
  for (const NamedParameter& entry : named_parameters()) by_path.add(entry.path, entry.parameter);
  for (const auto& [name, parameter] : by_path) {
    if (!parameter.is_initialized()) {
      throw Error("save_parameters: '" + name + "' is not initialized yet (run a forward pass or initialize first), "
                  "so " + path + " was not written");
    }
    arrays[name] = parameter.list_data()[0];
  }
  nd::save(path, arrays);
}

ParameterNaming Block::load_parameters(const std::string& path, const std::vector<Context>& ctx, bool allow_missing,
                                       bool ignore_extra) {
  std::map<std::string, NDArray> loaded;
  for (auto& [name, array] : nd::load(path).dict()) {
    // Files exported with a symbol prefix their names with arg: and aux:.
    const bool exported = name.rfind("arg:", 0) == 0 || name.rfind("aux:", 0) == 0;
    loaded[exported ? name.substr(4) : name] = array;
  }
  // The file names parameters by path or by MXNet name: take the naming more of its names match.
  const std::vector<NamedParameter> entries = named_parameters();
  const std::string root = prefix();
  auto key = [&](const NamedParameter& entry, ParameterNaming naming) {
    switch (naming) {
      case ParameterNaming::kPath: return entry.path;
      case ParameterNaming::kPrefixed: return entry.prefixed;
      case ParameterNaming::kPrefixedWithoutRoot:
        return entry.prefixed.rfind(root, 0) == 0 ? entry.prefixed.substr(root.size()) : entry.prefixed;
    }
    return entry.path;
  };
  ParameterNaming naming = ParameterNaming::kPath;
  std::size_t best = 0;
  for (ParameterNaming candidate :
       {ParameterNaming::kPath, ParameterNaming::kPrefixed, ParameterNaming::kPrefixedWithoutRoot}) {
    std::size_t matches = 0;
    for (const NamedParameter& entry : entries) matches += loaded.contains(key(entry, candidate));
    if (matches > best) {
      best = matches;
      naming = candidate;
    }
  }
  ParameterDict params;
  for (const NamedParameter& entry : entries) params.add(key(entry, naming), entry.parameter);
  std::vector<std::string> missing, extra, misshaped;
  for (const auto& [name, parameter] : params) {
    const auto it = loaded.find(name);
    if (it == loaded.end()) {
      missing.push_back(name);
      continue;
    }
    const Shape &want = parameter.shape(), &got = it->second.shape();
    const bool rank_unknown = want.ndim() == 0 && !parameter.shape_known();  // a SymbolBlock's, before its first call
    bool fits = rank_unknown || want.ndim() == got.ndim();
    for (int a = 0; fits && !rank_unknown && a < want.ndim(); ++a) fits = want[a] == 0 || want[a] == got[a];
    if (!fits) misshaped.push_back(name + " (file " + got.str() + ", network " + want.str() + ")");
  }
  for (const auto& [name, array] : loaded) {
    if (!params.contains(name)) extra.push_back(name);
  }
  std::string problems;
  auto list = [&](const char* what, const std::vector<std::string>& names) {
    if (names.empty()) return;
    problems += std::string("\n  ") + what + ":";
    for (const std::string& n : names) problems += " " + n;
  };
  if (!allow_missing) list("missing from the file (allow_missing skips them)", missing);
  if (!ignore_extra) list("in the file but not in the network (ignore_extra skips them)", extra);
  list("with other shapes", misshaped);
  if (!problems.empty()) throw Error("load_parameters: " + path + " does not fit the network:" + problems);

  state_->cache.reset();  // parameter shapes may change
  for (auto& [name, parameter] : params) {
    const auto it = loaded.find(name);
    if (it == loaded.end()) continue;
    Parameter p = parameter;
    p.set_shape(it->second.shape());
    if (!p.is_initialized()) p.initialize(init::Zero(), ctx);
    p.set_data(it->second);
  }
  log_info("load_parameters: {} matched by {} names", path,
           naming == ParameterNaming::kPath       ? "path (a.b.name)"
           : naming == ParameterNaming::kPrefixed ? "MXNet (prefix_name)"
                                                  : "MXNet names without the network's prefix (" + root + ")");
  return naming;
}

void Block::summary(const NDArray& x, std::ostream& os) {
  SummaryRecorder recorder;
  t_summary = &recorder;
  NDArray y;
  try {
    autograd::pause predicting;
    y = (*this)(x);
  } catch (...) {
    t_summary = nullptr;
    throw;
  }
  t_summary = nullptr;
  const std::string rule(80, '-'), double_rule(80, '=');
  os << rule << "\n" << std::setw(40) << std::left << "        Layer (type)" << std::setw(25) << std::right
     << "Output Shape" << std::setw(15) << "Param #" << "\n" << double_rule << "\n";
  os << std::setw(40) << std::left << "               Input" << std::setw(25) << std::right << x.shape().str()
     << std::setw(15) << 0 << "\n";
  std::map<std::string, int> counters;
  std::int64_t total = 0;
  for (const SummaryRow& row : recorder.rows) {
    const std::string label = std::string(static_cast<std::size_t>(2 * row.depth), ' ') + row.layer + "-" +
                              std::to_string(++counters[row.layer]);
    os << std::setw(40) << std::left << ("        " + label) << std::setw(25) << std::right << row.output.str()
       << std::setw(15) << row.parameters << "\n";
    total += row.parameters;
  }
  std::int64_t trainable = 0, all = 0;
  for (const auto& [name, p] : collect_params()) {
    all += p.shape().size();
    if (p.grad_req() != GradReq::kNull) trainable += p.shape().size();
  }
  os << double_rule << "\nParameters in forward computation graph, duplicate included\n   Total params: " << total
     << "\n   Trainable params: " << trainable << "\n   Non-trainable params: " << all - trainable
     << "\nUnique parameters in model: " << all << "\n" << rule << "\n";
}

void Block::summary(const NDArray& x) { summary(x, std::cout); }

}  // namespace mx::gluon
