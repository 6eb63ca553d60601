#pragma once
// MXNet's mx.viz: a symbol's layers as a table (print_summary) and as a Graphviz graph (plot_network).
//
//   auto net = sym::load("resnet18-symbol.json");
//   viz::print_summary(net, {{"data", {1, 3, 224, 224}}});   // layer, output shape, parameters, inputs
//   std::ofstream("net.gv") << viz::plot_network(net, {.shape = {{"data", {1, 3, 224, 224}}}});  // dot -Tpdf net.gv
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include <mx/graph/symbol.h>

namespace mx::viz {

// MXNet's table, row by row: each operator node (and each variable given a shape: the inputs) as "name(op)", its
// output shape without the batch axis ("64x56x56"), its parameters (the elements of the variables it reads,
// its inputs and auxiliary states aside) and the layers it reads; then the total. Shapes come from
// Symbol::infer_shape, so `shape` must let it infer them (its errors pass through).
void print_summary(const sym::Symbol& symbol, const std::map<std::string, Shape>& shape, std::ostream& os,
                   int line_length = 120, std::vector<double> positions = {0.44, 0.64, 0.74, 1.0});
void print_summary(const sym::Symbol& symbol, const std::map<std::string, Shape>& shape = {});

struct PlotOptions {
  std::string title = "plot";
  // With the inputs' shapes, each edge is labelled with the shape it carries (without the batch axis).
  std::map<std::string, Shape> shape;
  // Leaves out the layers' parameters (variables named *_weight, *_bias, *_gamma, *_beta, *_moving_mean, ...).
  bool hide_weights = true;
};
// The graph in Graphviz's dot language, drawn as MXNet draws it: a filled box per node, labelled with its
// operator and its main attributes ("Convolution\n3x3/1x1, 64"), coloured by kind, edges from each input.
std::string plot_network(const sym::Symbol& symbol, const PlotOptions& options = {});

}  // namespace mx::viz
