// How Symbol::infer_shape finds shapes: the graph is traced on placeholders (nothing is computed), and each
// layer's parameters are shaped from its data by the operators' rules.
#include <algorithm>
#include <unordered_map>

#include <mx/graph/graph.h>
#include <mx/graph/symbol.h>
#include <mx/ndarray/error.h>
#include <mx/operators/creation.h>

namespace mx::sym {
namespace {

// A variable's own shape (its "__shape__", when that has no unknown extents), else the caller's.
std::optional<Shape> given_shape(const Node& variable, const std::map<std::string, Shape>& shapes) {
  if (const auto it = shapes.find(variable.name); it != shapes.end()) return it->second;
  const auto attr = variable.attrs.find("__shape__");
  if (attr == variable.attrs.end()) return std::nullopt;
  std::vector<std::int64_t> dims;
  op::AttrReader reader("null", variable.attrs);
  reader.read("__shape__", dims);
  if (std::any_of(dims.begin(), dims.end(), [](std::int64_t d) { return d <= 0; })) return std::nullopt;
  return Shape(dims);
}

DType variable_dtype(const Node& variable) {
  const auto attr = variable.attrs.find("__dtype__");
  return attr == variable.attrs.end() ? DType::kFloat32 : static_cast<DType>(std::stoi(attr->second));
}

}  // namespace

std::unordered_map<const Node*, std::vector<Shape>> Symbol::infer_node_shapes(const std::map<std::string, Shape>& shapes) const {
  const std::vector<std::shared_ptr<Node>> nodes = topological_nodes();
  for (const auto& [name, shape] : shapes) {
    if (std::none_of(nodes.begin(), nodes.end(), [&](const auto& n) { return n->is_variable() && n->name == name; })) {
      throw Error("Symbol::infer_shape: the symbol has no variable '" + name + "'");
    }
  }
  std::unordered_map<const Node*, std::vector<Shape>> result;
  // Traced, the operators infer their outputs' shapes and check their inputs without computing anything.
  graph::trace(
      [&](std::span<const NDArray>) {
        std::unordered_map<const Node*, std::vector<NDArray>> values;
        auto place = [&](const Node& variable, const Shape& shape) {
          values[&variable] = {nd::zeros(shape, cpu(), variable_dtype(variable))};
          result[&variable] = {shape};
        };
        for (const auto& node : nodes) {
          if (node->is_variable()) {
            if (const auto shape = given_shape(*node, shapes)) place(*node, *shape);
            continue;  // else shaped by the first node that reads it
          }
          std::vector<std::optional<Shape>> known;
          for (const Entry& in : node->inputs) {
            const auto it = result.find(in.node.get());
            known.push_back(it == result.end() ? std::nullopt : std::optional<Shape>(it->second.at(static_cast<std::size_t>(in.output))));
          }
          op::infer_input_shapes(node->op, node->attrs, known);
          std::vector<NDArray> inputs;
          for (std::size_t i = 0; i < node->inputs.size(); ++i) {
            const Node& source = *node->inputs[i].node;
            if (!values.contains(&source)) {
              if (!known[i]) {
                throw ShapeError("Symbol::infer_shape: cannot infer the shape of '" + source.name + "', input " + std::to_string(i) +
                                 " of node '" + node->name + "' (" + node->op + "): give it");
              }
              place(source, *known[i]);
            }
            inputs.push_back(values.at(&source).at(static_cast<std::size_t>(node->inputs[i].output)));
          }
          std::vector<NDArray> outputs;
          try {
            outputs = op::call_symbol_op(node->op, node->attrs, inputs);
          } catch (const ShapeError& e) {
            throw ShapeError("Symbol::infer_shape: node '" + node->name + "' (" + node->op + "): " + e.what());
          } catch (const Error& e) {
            throw Error("Symbol::infer_shape: node '" + node->name + "' (" + node->op + "): " + e.what());
          }
          std::vector<Shape>& out = result[node.get()];
          for (const NDArray& o : outputs) out.push_back(o.shape());
          values[node.get()] = std::move(outputs);
        }
        std::vector<NDArray> outputs;
        for (const Entry& e : outputs_) outputs.push_back(values.at(e.node.get()).at(static_cast<std::size_t>(e.output)));
        return outputs;
      },
      {}, "Symbol::infer_shape");
  return result;
}

InferredShapes Symbol::infer_shape(const std::map<std::string, Shape>& shapes) const {
  const auto node_shapes = infer_node_shapes(shapes);
  std::unordered_map<std::string, Shape> variables;
  for (const auto& [node, out] : node_shapes) {
    if (node->is_variable()) variables.emplace(node->name, out.front());
  }
  InferredShapes inferred;
  auto lookup = [&](const std::string& name) {
    const auto it = variables.find(name);
    // A variable no node reads and nobody shaped.
    if (it == variables.end()) throw ShapeError("Symbol::infer_shape: cannot infer the shape of '" + name + "': give it");
    return it->second;
  };
  for (const std::string& name : list_arguments()) inferred.arg_shapes.push_back(lookup(name));
  for (const std::string& name : list_auxiliary_states()) inferred.aux_shapes.push_back(lookup(name));
  for (const Entry& e : outputs_) inferred.out_shapes.push_back(node_shapes.at(e.node.get()).at(static_cast<std::size_t>(e.output)));
  return inferred;
}

}  // namespace mx::sym
