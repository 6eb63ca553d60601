#include <mx/graph/visualization.h>

#include <iostream>
#include <set>
#include <sstream>
#include <unordered_set>

#include <mx/ndarray/error.h>

namespace mx::viz {
namespace {

// "64x56x56": a shape without its batch axis, as MXNet's tables and edges show it.
std::string per_sample(const Shape& shape) {
  std::string out;
  for (int axis = 1; axis < shape.ndim(); ++axis) out += (axis > 1 ? "x" : "") + std::to_string(shape[axis]);
  return out;
}

// Each field cut or padded to end at its column.
void print_row(std::ostream& os, const std::vector<std::string>& fields, const std::vector<std::size_t>& columns) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    line += fields[i];
    line.resize(columns[i], ' ');
  }
  os << line << '\n';
}

bool looks_like_weight(const std::string& name) {
  for (const char* suffix : {"_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean", "_running_var", "_running_mean"}) {
    const std::string s(suffix);
    if (name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) return true;
  }
  return false;
}

std::string attr_or(const sym::Node& node, const std::string& key, const std::string& fallback) {
  const auto it = node.attrs.find(key);
  return it == node.attrs.end() ? fallback : it->second;
}

// "(3, 3)" as "3x3".
std::string tuple_text(const std::string& tuple) {
  std::string out;
  for (char c : tuple) {
    if (c == ',') out += 'x';
    else if (c != '(' && c != ')' && c != '[' && c != ']' && c != ' ') out += c;
  }
  return out;
}

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

}  // namespace

void print_summary(const sym::Symbol& symbol, const std::map<std::string, Shape>& shape, std::ostream& os, int line_length,
                   std::vector<double> positions) {
  if (positions.size() != 4 || line_length <= 0) throw Error("print_summary: give 4 column positions and a positive line length");
  std::vector<std::size_t> columns;
  for (double p : positions) {
    if (p <= 0) throw Error("print_summary: column positions must be positive fractions of the line");
    columns.push_back(static_cast<std::size_t>(static_cast<double>(line_length) * p));
  }
  const auto shapes = symbol.infer_node_shapes(shape);
  const auto auxiliary = symbol.list_auxiliary_states();
  const std::set<std::string> aux(auxiliary.begin(), auxiliary.end());
  const auto nodes = symbol.topological_nodes();
  const auto shown = [&](const sym::Node& node) { return !node.is_variable() || shape.contains(node.name); };
  const std::string rule(static_cast<std::size_t>(line_length), '_');
  os << rule << '\n';
  print_row(os, {"Layer (type)", "Output Shape", "Param #", "Previous Layer"}, columns);
  os << std::string(static_cast<std::size_t>(line_length), '=') << '\n';
  std::int64_t total = 0;
  std::vector<const sym::Node*> rows;
  for (const auto& node : nodes) {
    if (shown(*node)) rows.push_back(node.get());
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const sym::Node& node = *rows[r];
    std::int64_t params = 0;
    std::vector<std::string> previous;
    for (const sym::Entry& in : node.inputs) {
      const sym::Node& source = *in.node;
      if (shown(source)) {
        previous.push_back(source.name);
      } else if (source.is_variable() && !aux.contains(source.name)) {
        params += shapes.at(&source).front().size();
      }
    }
    total += params;
    const Shape& out = shapes.at(&node).front();
    print_row(os, {node.name + "(" + node.op + ")", per_sample(out), std::to_string(params), previous.empty() ? "" : previous[0]},
              columns);
    for (std::size_t i = 1; i < previous.size(); ++i) print_row(os, {"", "", "", previous[i]}, columns);
    os << (r + 1 == rows.size() ? std::string(static_cast<std::size_t>(line_length), '=') : rule) << '\n';
  }
  os << "Total params: " << total << '\n' << rule << '\n';
}

void print_summary(const sym::Symbol& symbol, const std::map<std::string, Shape>& shape) { print_summary(symbol, shape, std::cout); }

std::string plot_network(const sym::Symbol& symbol, const PlotOptions& options) {
  static const char* const kColors[] = {"#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5"};
  const auto nodes = symbol.topological_nodes();
  std::unordered_map<const sym::Node*, std::vector<Shape>> shapes;
  if (!options.shape.empty()) shapes = symbol.infer_node_shapes(options.shape);
  std::ostringstream dot;
  dot << "digraph " << quoted(options.title) << " {\n";
  std::unordered_set<const sym::Node*> hidden;
  for (const auto& node : nodes) {
    const std::string& op = node->op;
    std::string label = node->name, fill = kColors[7], box = "box";
    if (node->is_variable()) {
      if (looks_like_weight(node->name)) {
        // Hidden weights lose their edges too; shown ones are drawn as Graphviz's plain ovals by their edges.
        if (options.hide_weights) hidden.insert(node.get());
        continue;
      }
      box = "oval";
      fill = kColors[0];
    } else if (op == "Convolution") {
      label = "Convolution\n" + tuple_text(attr_or(*node, "kernel", "")) + "/" + tuple_text(attr_or(*node, "stride", "1")) + ", " +
              attr_or(*node, "num_filter", "");
      fill = kColors[1];
    } else if (op == "FullyConnected") {
      label = "FullyConnected\n" + attr_or(*node, "num_hidden", "");
      fill = kColors[1];
    } else if (op == "BatchNorm") {
      fill = kColors[3];
    } else if (op == "Activation" || op == "LeakyReLU") {
      label = op + "\n" + attr_or(*node, "act_type", op == "LeakyReLU" ? "Leaky" : "");
      fill = kColors[2];
    } else if (op == "Pooling") {
      label = "Pooling\n" + attr_or(*node, "pool_type", "max") + ", " + tuple_text(attr_or(*node, "kernel", "[]")) + "/" +
              tuple_text(attr_or(*node, "stride", "1"));
      fill = kColors[4];
    } else if (op == "Concat" || op == "Flatten" || op == "Reshape") {
      fill = kColors[5];
    } else if (op == "Softmax" || op == "SoftmaxOutput" || op == "softmax") {
      fill = kColors[6];
    }
    dot << "\t" << quoted(node->name) << " [label=" << quoted(label) << " fillcolor=" << quoted(fill)
        << " fixedsize=true height=0.8034 shape=" << box << " style=filled width=1.3]\n";
  }
  for (const auto& node : nodes) {
    if (node->is_variable()) continue;
    for (const sym::Entry& in : node->inputs) {
      if (hidden.contains(in.node.get())) continue;
      std::string label;
      if (const auto it = shapes.find(in.node.get()); it != shapes.end()) {
        label = per_sample(it->second.at(static_cast<std::size_t>(in.output)));
      }
      dot << "\t" << quoted(node->name) << " -> " << quoted(in.node->name) << " [label=" << quoted(label)
          << " arrowtail=open dir=back]\n";
    }
  }
  dot << "}\n";
  return dot.str();
}

}  // namespace mx::viz
