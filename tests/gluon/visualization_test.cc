// Symbol::infer_shape (MXNet's, parameters shaped from the data) and mx.viz's print_summary and plot_network,
// against shapes, tables and graphs written out by hand.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sstream>

#include <mx/mx.h>

using namespace mx;
using Catch::Matchers::Contains;

namespace {

// data (n, 784) -> fc1 (128) -> relu1 -> fc2 (10), its parameters named but not shaped.
sym::Symbol mlp() {
  auto fc1 = sym::invoke("FullyConnected", {sym::var("data"), sym::var("fc1_weight"), sym::var("fc1_bias")}, {{"num_hidden", "128"}}, "fc1");
  auto relu1 = sym::invoke("Activation", {fc1}, {{"act_type", "relu"}}, "relu1");
  return sym::invoke("FullyConnected", {relu1, sym::var("fc2_weight"), sym::var("fc2_bias")}, {{"num_hidden", "10"}}, "fc2");
}

// data (n, 3, 32, 32) -> conv (16, 3x3, pad 1) -> bn -> relu -> max pool 2x2/2 -> flatten -> fc (10).
sym::Symbol cnn() {
  auto conv = sym::invoke("Convolution", {sym::var("data"), sym::var("conv0_weight"), sym::var("conv0_bias")},
                          {{"kernel", "(3, 3)"}, {"pad", "(1, 1)"}, {"num_filter", "16"}}, "conv0");
  auto bn = sym::invoke("BatchNorm", {conv, sym::var("bn0_gamma"), sym::var("bn0_beta"), sym::var("bn0_moving_mean"), sym::var("bn0_moving_var")},
                        {}, "bn0");
  auto relu = sym::invoke("Activation", {bn}, {{"act_type", "relu"}}, "relu0");
  auto pool = sym::invoke("Pooling", {relu}, {{"kernel", "(2, 2)"}, {"stride", "(2, 2)"}, {"pool_type", "max"}}, "pool0");
  auto flat = sym::invoke("Flatten", {pool}, {}, "flatten0");
  return sym::invoke("FullyConnected", {flat, sym::var("fc0_weight"), sym::var("fc0_bias")}, {{"num_hidden", "10"}}, "fc0");
}

}  // namespace

TEST_CASE("Symbol::infer_shape shapes an MLP's and a CNN's parameters from the data", "[symbol]") {
  const sym::InferredShapes m = mlp().infer_shape({{"data", {32, 784}}});
  CHECK(m.arg_shapes == std::vector<Shape>{{32, 784}, {128, 784}, {128}, {10, 128}, {10}});
  CHECK(m.out_shapes == std::vector<Shape>{{32, 10}});
  CHECK(m.aux_shapes.empty());

  const sym::InferredShapes c = cnn().infer_shape({{"data", {2, 3, 32, 32}}});
  // 16 channels of 16 x 16 after the pool: 4096 features into fc0.
  CHECK(c.arg_shapes == std::vector<Shape>{{2, 3, 32, 32}, {16, 3, 3, 3}, {16}, {16}, {16}, {10, 4096}, {10}});
  CHECK(c.aux_shapes == std::vector<Shape>{{16}, {16}});
  CHECK(c.out_shapes == std::vector<Shape>{{2, 10}});
}

TEST_CASE("Symbol::infer_shape: groups, transposed convolutions, Embedding, LayerNorm, PReLU, no bias", "[symbol]") {
  auto data = sym::var("data");
  auto grouped = sym::invoke("Convolution", {data, sym::var("g_weight")},
                             {{"kernel", "(3, 3)"}, {"num_filter", "8"}, {"num_group", "2"}, {"no_bias", "True"}}, "g");
  auto up = sym::invoke("Deconvolution", {grouped, sym::var("up_weight"), sym::var("up_bias")},
                        {{"kernel", "(2, 2)"}, {"stride", "(2, 2)"}, {"num_filter", "6"}, {"num_group", "2"}, {"no_bias", "False"}}, "up");
  auto act = sym::invoke("LeakyReLU", {up, sym::var("act_gamma")}, {{"act_type", "prelu"}}, "act");
  auto norm = sym::invoke("LayerNorm", {act, sym::var("ln_gamma"), sym::var("ln_beta")}, {}, "ln");
  const sym::InferredShapes s = norm.infer_shape({{"data", {1, 4, 10, 10}}});
  // g: (8, 4 / 2, 3, 3) to (1, 8, 8, 8); up: (8, 6 / 2, 2, 2) to (1, 6, 16, 16); prelu per channel; LayerNorm on
  // the last axis.
  CHECK(s.arg_shapes == std::vector<Shape>{{1, 4, 10, 10}, {8, 2, 3, 3}, {8, 3, 2, 2}, {6}, {6}, {16}, {16}});
  CHECK(s.out_shapes == std::vector<Shape>{{1, 6, 16, 16}});

  auto embed = sym::invoke("Embedding", {sym::var("tokens"), sym::var("embed_weight")}, {{"input_dim", "1000"}, {"output_dim", "32"}}, "embed");
  const sym::InferredShapes e = embed.infer_shape({{"tokens", {4, 7}}});
  CHECK(e.arg_shapes == std::vector<Shape>{{4, 7}, {1000, 32}});
  CHECK(e.out_shapes == std::vector<Shape>{{4, 7, 32}});
  // A variable's own __shape__ serves as a given one.
  CHECK(sym::invoke("Activation", {sym::var("x", {.shape = Shape{2, 5}})}, {{"act_type", "tanh"}}).infer_shape({}).out_shapes ==
        std::vector<Shape>{{2, 5}});
}

TEST_CASE("Symbol::infer_shape shapes RNN's packed parameters and begin states", "[symbol]") {
  const sym::Symbol lstm = sym::invoke("RNN", {sym::var("data")},
                                       {{"state_size", "5"}, {"num_layers", "2"}, {"mode", "lstm"}, {"bidirectional", "True"}}, "lstm");
  CHECK(lstm.list_arguments() == std::vector<std::string>{"data", "lstm_parameters", "lstm_state", "lstm_state_cell"});
  // Per layer and direction 4 gates of 5: i2h (20, C) + h2h (20, 5) + two biases of 20; C = 3, then 2 * 5.
  const std::int64_t layer0 = 20 * 3 + 20 * 5 + 40, layer1 = 20 * 10 + 20 * 5 + 40;
  CHECK(lstm.infer_shape({{"data", {7, 4, 3}}}).arg_shapes ==
        std::vector<Shape>{{7, 4, 3}, {2 * (layer0 + layer1)}, {4, 4, 5}, {4, 4, 5}});
  const sym::Symbol gru = sym::invoke("RNN", {sym::var("data")},
                                      {{"state_size", "2"}, {"mode", "gru"}, {"use_sequence_length", "True"}}, "gru");
  CHECK(gru.list_arguments() == std::vector<std::string>{"data", "gru_parameters", "gru_state", "gru_sequence_length"});
  CHECK(gru.infer_shape({{"data", {7, 4, 3}}}).arg_shapes ==
        std::vector<Shape>{{7, 4, 3}, {6 * 3 + 6 * 2 + 12}, {1, 4, 2}, {4}});
}

TEST_CASE("Symbol::infer_shape names what it cannot infer and the node that does not fit", "[symbol]") {
  CHECK_THROWS_AS(mlp().infer_shape({}), ShapeError);
  CHECK_THROWS_WITH(mlp().infer_shape({}), Contains("'data'") && Contains("node 'fc1' (FullyConnected)") && Contains("give it"));
  CHECK_THROWS_WITH(mlp().infer_shape({{"data", {32, 784}}, {"fc2_weight", {10, 64}}}), Contains("fc2") && Contains("(10, 64)"));
  CHECK_THROWS_WITH(mlp().infer_shape({{"label", {32}}}), Contains("no variable 'label'"));
  auto plus = sym::var("a") + sym::var("b");
  CHECK_THROWS_WITH(plus.infer_shape({{"a", {3}}}), Contains("'b'") && Contains("give it"));
}

TEST_CASE("viz::print_summary prints MXNet's table of layers, shapes and parameters", "[symbol]") {
  std::ostringstream out;
  viz::print_summary(mlp(), {{"data", {1, 784}}}, out, 60, {0.4, 0.6, 0.75, 1.0});
  // Columns end at 24, 36 and 45 characters of 60; parameters are the weights' and biases' elements.
  const std::string rule(60, '_'), heavy(60, '=');
  const std::string expected = rule + "\n" +
                               "Layer (type)            Output ShapeParam #  Previous Layer \n" +  // each field cut at its column
                               heavy + "\n" +
                               "data(null)              784         0                       \n" + rule + "\n" +
                               "fc1(FullyConnected)     128         100480   data           \n" + rule + "\n" +
                               "relu1(Activation)       128         0        fc1            \n" + rule + "\n" +
                               "fc2(FullyConnected)     10          1290     relu1          \n" + heavy + "\n" +
                               "Total params: 101770\n" + rule + "\n";
  CHECK(out.str() == expected);

  std::ostringstream c;
  viz::print_summary(cnn(), {{"data", {1, 3, 32, 32}}}, c);
  // conv 16 * 27 + 16, BatchNorm's gamma and beta (not its moving statistics), fc 10 * 4096 + 10.
  CHECK_THAT(c.str(), Contains("conv0(Convolution)") && Contains("16x32x32") && Contains("448 ") && Contains("bn0(BatchNorm)") &&
                          Contains("32 ") && Contains("pool0(Pooling)") && Contains("16x16x16") && Contains("40970") &&
                          Contains("Total params: 41450"));
  CHECK_THROWS_WITH(viz::print_summary(cnn(), {}, c), Contains("'data'"));
}

TEST_CASE("viz::plot_network writes the graph in dot, as MXNet draws it", "[symbol]") {
  const std::string dot = viz::plot_network(cnn(), {.title = "cnn", .shape = {{"data", {1, 3, 32, 32}}}});
  CHECK(dot.starts_with("digraph \"cnn\" {\n"));
  CHECK_THAT(dot, Contains("\"data\" [label=\"data\" fillcolor=\"#8dd3c7\"") && Contains("shape=oval"));
  CHECK_THAT(dot, Contains("\"conv0\" [label=\"Convolution\\n3x3/1, 16\" fillcolor=\"#fb8072\""));
  CHECK_THAT(dot, Contains("\"pool0\" [label=\"Pooling\\nmax, 2x2/2x2\""));
  CHECK_THAT(dot, Contains("\"relu0\" [label=\"Activation\\nrelu\""));
  CHECK_THAT(dot, Contains("\"fc0\" [label=\"FullyConnected\\n10\""));
  // Edges from each node back to its inputs, labelled with what flows along them.
  CHECK_THAT(dot, Contains("\"conv0\" -> \"data\" [label=\"3x32x32\" arrowtail=open dir=back]"));
  CHECK_THAT(dot, Contains("\"fc0\" -> \"flatten0\" [label=\"4096\""));
  CHECK_THAT(dot, !Contains("conv0_weight"));
  const std::string with_weights = viz::plot_network(cnn(), {.hide_weights = false});
  CHECK_THAT(with_weights, Contains("\"conv0\" -> \"conv0_weight\" [label=\"\""));
  CHECK(dot.ends_with("}\n"));
}

TEST_CASE("a SymbolBlock without parameters infers their shapes at its first call, as MXNet's deferred init", "[symbol]") {
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_test_deferred-symbol.json").string();
  mlp().save(path);
  auto net = gluon::SymbolBlock::imports(path, {"data"});
  gluon::ParameterDict params(net->collect_params());
  CHECK_FALSE(params["fc1_weight"].shape_known());
  net->initialize(init::One());
  gluon::Trainer trainer(net->collect_params(), "sgd", {{"learning_rate", 0.1}});  // made before the shapes are known
  const NDArray x = nd::ones({2, 784});
  // Weights 1 and biases 0 (MXNet's initializers leave *_bias at zero): fc1 gives 784, fc2 128 * 784.
  const NDArray y = (*net)(x);
  CHECK(y.shape() == Shape{2, 10});
  CHECK(y.asnumpy<double>() == std::vector<double>(20, 128 * 784));
  CHECK(params["fc1_weight"].shape() == Shape{128, 784});
  CHECK(params["fc2_bias"].shape() == Shape{10});
  // The trainer made before knew them updates them: d sum(y) / d fc2_bias = 2 samples, so 0 - 0.1 * 2 / 2.
  NDArray loss;
  {
    autograd::record r;
    loss = nd::sum((*net)(x));
  }
  loss.backward();
  trainer.step(2);
  CHECK(params["fc2_bias"].data().asnumpy<double>() == std::vector<double>(10, -0.1f));
  std::filesystem::remove(path);
}
