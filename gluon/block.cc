#include <mx/gluon/block.h>

#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/serialize.h>

namespace mx::gluon {
namespace detail {

// Shared by a block's copies. Not synchronized: a network is built and called from one thread at a time.
struct BlockState {
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> children;
  std::vector<std::pair<std::string, Parameter>> parameters;
};

}  // namespace detail

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

Block::Block() : state_(std::make_shared<detail::BlockState>()) {}

NDArray Block::operator()(const NDArray& x) {
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
  state_->children.emplace_back(std::move(name), std::move(child));
}

Parameter Block::register_parameter(Parameter parameter) {
  for (const auto& existing : state_->parameters) {
    if (existing.first == parameter.name()) {
      throw Error("Block: a parameter named '" + parameter.name() + "' is registered already");
    }
  }
  state_->parameters.emplace_back(parameter.name(), parameter);
  return parameter;
}

const std::vector<std::pair<std::string, std::shared_ptr<Block>>>& Block::children() const { return state_->children; }
const std::vector<std::pair<std::string, Parameter>>& Block::own_parameters() const { return state_->parameters; }

void Block::collect_into(const std::string& prefix, ParameterDict& dict) const {
  for (const auto& [name, parameter] : state_->parameters) dict.add(prefix + name, parameter);
  for (const auto& [name, child] : state_->children) child->collect_into(prefix + name + ".", dict);
}

ParameterDict Block::collect_params(const std::string& select) const {
  ParameterDict all;
  collect_into("", all);
  for (const auto& [path, parameter] : all) {
    Parameter handle = parameter;
    handle.set_name(path);  // errors name the parameter by its path from here on
  }
  return select.empty() ? all : all.select(select);
}

void Block::initialize(const init::InitializerRef& init, const std::vector<Context>& ctx, bool force_reinit) {
  collect_params().initialize(init, ctx, force_reinit);
}

void Block::zero_grad() { collect_params().zero_grad(); }

void Block::cast(DType dtype) {
  for (const auto& item : collect_params()) {
    Parameter p = item.second;
    p.cast(dtype);
  }
}

void Block::save_parameters(const std::string& path) const {
  std::map<std::string, NDArray> arrays;
  for (const auto& [name, parameter] : collect_params()) {
    if (!parameter.is_initialized()) {
      throw Error("save_parameters: '" + name + "' is not initialized yet (run a forward pass or initialize first), "
                  "so " + path + " was not written");
    }
    arrays[name] = parameter.list_data()[0];
  }
  nd::save(path, arrays);
}

void Block::load_parameters(const std::string& path, const std::vector<Context>& ctx, bool allow_missing,
                            bool ignore_extra) {
  std::map<std::string, NDArray> loaded;
  for (auto& [name, array] : nd::load(path).dict()) {
    // Files exported with a symbol prefix their names with arg: and aux:.
    const bool prefixed = name.rfind("arg:", 0) == 0 || name.rfind("aux:", 0) == 0;
    loaded[prefixed ? name.substr(4) : name] = array;
  }
  ParameterDict params = collect_params();
  std::vector<std::string> missing, extra, misshaped;
  for (const auto& [name, parameter] : params) {
    const auto it = loaded.find(name);
    if (it == loaded.end()) {
      missing.push_back(name);
      continue;
    }
    const Shape &want = parameter.shape(), &got = it->second.shape();
    bool fits = want.ndim() == got.ndim();
    for (int a = 0; fits && a < want.ndim(); ++a) fits = want[a] == 0 || want[a] == got[a];
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

  for (auto& [name, parameter] : params) {
    const auto it = loaded.find(name);
    if (it == loaded.end()) continue;
    Parameter p = parameter;
    p.set_shape(it->second.shape());
    if (!p.is_initialized()) p.initialize(init::Zero(), ctx);
    p.set_data(it->second);
  }
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
