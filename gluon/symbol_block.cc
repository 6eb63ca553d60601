#include <mx/gluon/symbol_block.h>

#include <algorithm>
#include <map>
#include <set>

#include <mx/ndarray/serialize.h>

namespace mx::gluon {

SymbolBlock::SymbolBlock(const sym::Symbol& outputs, const std::vector<sym::Symbol>& inputs,
                         const ParameterDict& params)
    : HybridBlock("symbolblock", Prefix("")), symbol_(outputs) {
  if (inputs.size() != 1 || inputs.front().num_outputs() != 1 ||
      !inputs.front().outputs().front().node->is_variable()) {
    throw Error("SymbolBlock: takes one input variable (sym::var), got " + std::to_string(inputs.size()) + " inputs");
  }
  if (outputs.num_outputs() == 0) throw Error("SymbolBlock: the symbol has no outputs");
  input_name_ = inputs.front().name();
  const std::vector<std::string> names = symbol_.list_inputs();
  if (std::find(names.begin(), names.end(), input_name_) == names.end()) {
    throw Error("SymbolBlock: the outputs do not depend on input '" + input_name_ + "'");
  }
  const std::vector<std::string> aux = symbol_.list_auxiliary_states();
  for (const std::string& name : names) {
    if (name == input_name_) continue;
    const auto shared = std::find_if(params.begin(), params.end(), [&](const auto& item) { return item.first == name; });
    if (shared != params.end()) {
      register_parameter(shared->second);
    } else {
      ParameterOptions options;
      if (std::find(aux.begin(), aux.end(), name) != aux.end()) options.grad_req = GradReq::kNull;
      register_parameter(Parameter::of_unknown_shape(name, options));
    }
  }
}

std::shared_ptr<SymbolBlock> SymbolBlock::imports(const std::string& symbol_file,
                                                  const std::vector<std::string>& input_names,
                                                  const std::string& param_file, const std::vector<Context>& ctx) {
  if (input_names.size() != 1) {
    throw Error("SymbolBlock::imports: takes one input name, got " + std::to_string(input_names.size()));
  }
  const sym::Symbol symbol = sym::load(symbol_file);
  ParameterDict params;
  if (!param_file.empty()) {
    std::map<std::string, NDArray> arrays;
    for (auto& [key, array] : nd::load(param_file).dict()) {
      const bool tagged = key.starts_with("arg:") || key.starts_with("aux:");
      arrays[tagged ? key.substr(4) : key] = array;
    }
    const std::vector<std::string> aux = symbol.list_auxiliary_states();
    std::vector<std::string> missing;
    std::set<std::string> used;
    for (const std::string& name : symbol.list_inputs()) {
      if (name == input_names.front()) continue;
      const auto it = arrays.find(name);
      if (it == arrays.end()) {
        missing.push_back(name);
        continue;
      }
      used.insert(name);
      ParameterOptions options;
      options.dtype = it->second.dtype();
      if (std::find(aux.begin(), aux.end(), name) != aux.end()) options.grad_req = GradReq::kNull;
      Parameter parameter(name, it->second.shape(), options);
      parameter.initialize(init::Zero(), ctx);
      parameter.set_data(it->second);
      params.add(name, parameter);
    }
    std::string extra;
    for (const auto& [name, array] : arrays) {
      if (!used.contains(name) && name != input_names.front()) extra += (extra.empty() ? "" : ", ") + name;
    }
    if (!missing.empty() || !extra.empty()) {
      std::string list;
      for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
      throw Error("SymbolBlock::imports: '" + param_file + "' does not match '" + symbol_file + "'" +
                  (list.empty() ? "" : "; missing: " + list) + (extra.empty() ? "" : "; not in the symbol: " + extra));
    }
  }
  return std::make_shared<SymbolBlock>(symbol, std::vector<sym::Symbol>{sym::var(input_names.front())}, params);
}

std::vector<NDArray> SymbolBlock::forward_all(const NDArray& x) {
  std::map<std::string, Parameter> by_name;
  for (const auto& [name, parameter] : own_parameters()) by_name.emplace(name, parameter);
  learn_parameter_shapes(x, by_name);
  const Context ctx = x.context();
  context_scope on_input(ctx);  // nodes that make arrays (MXNet's _zeros) make them beside the input
  return symbol_.eval([&](const sym::Node& variable) -> NDArray {
    if (variable.name == input_name_) return x;
    return by_name.at(variable.name).data(ctx);
  });
}

// MXNet's deferred initialization: parameters of unknown shape (a symbol without its parameter file) are shaped
// by inference through the symbol from the input's shape, at the first call.
void SymbolBlock::learn_parameter_shapes(const NDArray& x, std::map<std::string, Parameter>& by_name) {
  if (std::all_of(by_name.begin(), by_name.end(), [](const auto& item) { return item.second.shape_known(); })) return;
  std::map<std::string, Shape> known{{input_name_, x.shape()}};
  for (const auto& [name, parameter] : by_name) {
    if (parameter.shape_known()) known.emplace(name, parameter.shape());
  }
  for (const auto& [node, shapes] : symbol_.infer_node_shapes(known)) {
    const auto it = by_name.find(node->name);
    if (node->is_variable() && it != by_name.end() && !it->second.shape_known()) it->second.set_shape(shapes.front());
  }
}

NDArray SymbolBlock::forward(const NDArray& x) { return forward_all(x).front(); }

std::string SymbolBlock::repr() const {
  std::string outputs;
  for (const std::string& name : symbol_.list_outputs()) outputs += (outputs.empty() ? "" : ", ") + name;
  return "SymbolBlock(" + input_name_ + " -> " + outputs + ")";
}

}  // namespace mx::gluon
