// MXNet's symbol JSON: nodes (op, name, attrs, inputs as [node, output, version]), arg_nodes, node_row_ptr,
// heads, and the MXNet version that wrote it.
#include <mx/graph/symbol.h>

#include <fstream>
#include <sstream>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include <mx/ndarray/error.h>

namespace mx::sym {
namespace {

using json = nlohmann::ordered_json;

constexpr int kWrittenVersion = 10901;  // MXNet 1.9.1, whose files this format matches

int mxnet_outputs(const Node& node) {
  if (node.is_variable()) return 1;
  const op::SymbolOp* form = op::find_symbol_op(node.op);
  return form != nullptr && form->mxnet_outputs > node.num_outputs ? form->mxnet_outputs : node.num_outputs;
}

// MXNet before 0.9.5 wrote hidden attributes without underscores: "lr_mult", and a variable's "shape".
bool is_legacy_hidden(const std::string& key, bool variable) {
  if (key == "ctx_group" || key == "lr_mult" || key == "wd_mult" || key == "force_mirroring" || key == "mirror_stage") {
    return true;
  }
  return variable && (key == "shape" || key == "dtype" || key == "init" || key == "storage_type");
}

[[noreturn]] void bad(const std::string& what, const std::string& why) { throw Error(what + ": " + why); }

op::Attrs read_attrs(const json& node, int version, const std::string& what) {
  op::Attrs attrs;
  // 1.x writes "attrs"; 0.9 wrote "attr", 0.8 "param" with the operator's parameters and "attr" with the rest.
  for (const char* field : {"param", "attr", "attrs"}) {
    if (!node.contains(field)) continue;
    if (!node[field].is_object()) bad(what, std::string("a node's \"") + field + "\" is not an object");
    for (const auto& [key, value] : node[field].items()) {
      attrs[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  const bool variable = node.value("op", "") == "null";
  if (version < 905) {
    op::Attrs upgraded;
    for (auto& [key, value] : attrs) upgraded[is_legacy_hidden(key, variable) ? "__" + key + "__" : key] = value;
    attrs = std::move(upgraded);
  }
  return attrs;
}

}  // namespace

std::string Symbol::tojson() const {
  const auto nodes = topological_nodes();
  std::unordered_map<const Node*, std::size_t> index;
  for (std::size_t i = 0; i < nodes.size(); ++i) index[nodes[i].get()] = i;
  json doc;
  json& out_nodes = doc["nodes"] = json::array();
  json arg_nodes = json::array(), row_ptr = json::array({0});
  int rows = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const Node& node = *nodes[i];
    json n;
    n["op"] = node.op;
    n["name"] = node.name;
    if (!node.attrs.empty()) n["attrs"] = node.attrs;
    json inputs = json::array();
    for (const Entry& in : node.inputs) inputs.push_back({index.at(in.node.get()), in.output, 0});
    n["inputs"] = inputs;
    out_nodes.push_back(std::move(n));
    if (node.is_variable()) arg_nodes.push_back(i);
    rows += mxnet_outputs(node);
    row_ptr.push_back(rows);
  }
  doc["arg_nodes"] = arg_nodes;
  doc["node_row_ptr"] = row_ptr;
  json heads = json::array();
  for (const Entry& out : outputs_) heads.push_back({index.at(out.node.get()), out.output, 0});
  doc["heads"] = heads;
  doc["attrs"] = {{"mxnet_version", json::array({"int", kWrittenVersion})}};
  return doc.dump(2);
}

void Symbol::save(const std::string& path) const {
  std::ofstream file(path);
  if (!file) throw Error("Symbol::save: cannot open '" + path + "' for writing");
  file << tojson();
  if (!file.flush()) throw Error("Symbol::save: writing '" + path + "' failed");
}

Symbol load_json(const std::string& text, const std::string& what) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number beyond a double
    bad(what, std::string("not JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("nodes") || !doc["nodes"].is_array() || !doc.contains("heads")) {
    bad(what, "not an MXNet symbol (needs \"nodes\" and \"heads\")");
  }
  int version = 800;  // files without a version are MXNet 0.8's
  if (doc.contains("attrs") && doc["attrs"].contains("mxnet_version")) {
    const json& v = doc["attrs"]["mxnet_version"];
    if (v.is_array() && v.size() == 2 && v[1].is_number_integer()) version = v[1].get<int>();
  }
  std::vector<std::shared_ptr<Node>> nodes;
  try {
    for (const json& n : doc["nodes"]) {
      auto node = std::make_shared<Node>();
      node->op = n.at("op").get<std::string>();
      node->name = n.at("name").get<std::string>();
      const std::string where = what + ", node '" + node->name + "'";
      node->attrs = read_attrs(n, version, where);
      for (const json& in : n.at("inputs")) {
        if (!in.is_array() || in.size() < 2) bad(where, "an input is not [node, output, version]");
        const auto source = in[0].get<std::size_t>();
        if (source >= nodes.size()) bad(where, "an input refers to node " + std::to_string(source) + ", not before it");
        node->inputs.push_back({nodes[source], in[1].get<int>()});
      }
      if (!node->is_variable()) {
        const op::SymbolOp* form = op::find_symbol_op(node->op);
        if (form == nullptr) bad(where, "operator '" + node->op + "' is not supported by mxpp");
        if (form->count_outputs) {
          try {
            node->num_outputs = form->count_outputs(node->attrs, static_cast<int>(node->inputs.size()));
          } catch (const Error& e) {
            bad(where, e.what());
          }
        }
      }
      for (const Entry& in : node->inputs) {
        if (in.output < 0 || in.output >= in.node->num_outputs) {
          bad(where, "reads output " + std::to_string(in.output) + " of '" + in.node->name + "', which has " +
                         std::to_string(in.node->num_outputs));
        }
      }
      nodes.push_back(std::move(node));
    }
    std::vector<Entry> outputs;
    for (const json& head : doc["heads"]) {
      if (!head.is_array() || head.size() < 2) bad(what, "a head is not [node, output, version]");
      const auto source = head[0].get<std::size_t>();
      if (source >= nodes.size()) bad(what, "a head refers to node " + std::to_string(source));
      const int output = head[1].get<int>();
      if (output < 0 || output >= nodes[source]->num_outputs) {
        bad(what, "a head reads output " + std::to_string(output) + " of '" + nodes[source]->name + "', which has " +
                      std::to_string(nodes[source]->num_outputs));
      }
      outputs.push_back({nodes[source], output});
    }
    if (outputs.empty()) bad(what, "no heads (outputs)");
    return Symbol(std::move(outputs));
  } catch (const json::exception& e) {
    bad(what, std::string("malformed: ") + e.what());
  }
}

Symbol load(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw Error("sym::load: cannot open '" + path + "'");
  std::stringstream text;
  text << file.rdbuf();
  return load_json(text.str(), "symbol file '" + path + "'");
}

}  // namespace mx::sym
