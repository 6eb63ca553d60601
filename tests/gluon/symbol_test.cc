// Symbols, export and SymbolBlock: MXNet's symbol JSON written and read field by field, files in MXNet's own
// layout (hand-written here as MXNet 1.9 and 0.8 write them) run to hand-computed values, export/imports round
// trips, and the seed's feature extractor.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include <mx/mx.h>

#include "../operators/test_util.h"
#include "../temp_path.h"

using namespace mx;
using Catch::Matchers::Contains;
using json = nlohmann::json;
namespace nn = gluon::nn;

namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  return std::string(std::istreambuf_iterator<char>(file), {});
}

void check_same(const NDArray& a, const NDArray& b, double tolerance = 1e-6) {
  test::check_array(a, b.shape(), b.asnumpy<double>(), tolerance);
}

// Dense(3, relu) -> Dense(1, no bias) -> + 0.5, as MXNet 1.9's export writes it.
const char* kMxnetMlp = R"json({
  "nodes": [
    {"op": "null", "name": "data", "inputs": []},
    {"op": "null", "name": "dense0_weight",
     "attrs": {"__dtype__": "0", "__lr_mult__": "1.0", "__shape__": "(3, 0)", "__storage_type__": "0",
               "__wd_mult__": "1.0"}, "inputs": []},
    {"op": "null", "name": "dense0_bias",
     "attrs": {"__dtype__": "0", "__init__": "zeros", "__lr_mult__": "1.0", "__shape__": "(3,)",
               "__storage_type__": "0", "__wd_mult__": "1.0"}, "inputs": []},
    {"op": "FullyConnected", "name": "dense0_fwd",
     "attrs": {"flatten": "True", "no_bias": "False", "num_hidden": "3"}, "inputs": [[0, 0, 0], [1, 0, 0], [2, 0, 0]]},
    {"op": "Activation", "name": "dense0_relu_fwd", "attrs": {"act_type": "relu"}, "inputs": [[3, 0, 0]]},
    {"op": "null", "name": "dense1_weight", "inputs": []},
    {"op": "FullyConnected", "name": "dense1_fwd",
     "attrs": {"flatten": "True", "no_bias": "True", "num_hidden": "1"}, "inputs": [[4, 0, 0], [5, 0, 0]]},
    {"op": "_plus_scalar", "name": "_plusscalar0", "attrs": {"scalar": "0.5"}, "inputs": [[6, 0, 0]]}
  ],
  "arg_nodes": [0, 1, 2, 5],
  "node_row_ptr": [0, 1, 2, 3, 4, 5, 6, 7, 8],
  "heads": [[7, 0, 0]],
  "attrs": {"mxnet_version": ["int", 10901]}
})json";

// The first layer of it as MXNet 0.8 wrote it: "param" and "attr" fields, hidden attributes without
// underscores, inputs as [node, output], no version.
const char* kMxnet08 = R"json({
  "nodes": [
    {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1},
    {"op": "null", "param": {}, "name": "dense0_weight", "inputs": [], "backward_source_id": -1,
     "attr": {"lr_mult": "2.0"}},
    {"op": "null", "param": {}, "name": "dense0_bias", "inputs": [], "backward_source_id": -1},
    {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "3"}, "name": "dense0_fwd",
     "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1, "attr": {"ctx_group": "stage1"}},
    {"op": "Activation", "param": {"act_type": "relu"}, "name": "relu0", "inputs": [[3, 0]],
     "backward_source_id": -1}
  ],
  "arg_nodes": [0, 1, 2],
  "heads": [[4, 0]]
})json";

// x (2, 2) through kMxnetMlp's parameters: rows [-1 -3 3.5] and [4 1 0.5] before relu; then 0 0 3.5 -> -3.5
// and 4 1 0.5 -> 5.5; plus 0.5.
NDArray mlp_input() { return nd::array({1, 2, 3, -1}, Shape{2, 2}); }
std::map<std::string, NDArray> mlp_params() {
  return {{"arg:dense0_weight", nd::array({1, -1, 2, 0, 0, 1}, Shape{3, 2})},
          {"arg:dense0_bias", nd::array({0, -5, 1.5}, Shape{3})},
          {"arg:dense1_weight", nd::array({1, 2, -1}, Shape{1, 3})}};
}

nn::HybridSequential make_cnn() {
  nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(nn::Conv2D(4, {3, 3}, {.padding = {1}, .activation = "relu"}), nn::BatchNorm(), nn::MaxPool2D(),
            nn::Flatten(), nn::Dropout(0.5), nn::Dense(3));
  }
  return net;
}

}  // namespace

TEST_CASE("Symbol: variables, operators, outputs and internals as MXNet names them", "[symbol]") {
  auto data = sym::var("data");
  auto fc = sym::invoke("FullyConnected", {data, sym::var("fc1_weight"), sym::var("fc1_bias")},
                        {{"num_hidden", "4"}, {"no_bias", "False"}}, "fc1");
  auto bn = sym::invoke("BatchNorm", {fc, sym::var("bn_gamma"), sym::var("bn_beta"), sym::var("bn_mean"), sym::var("bn_var")},
                        {}, "bn");
  auto net = sym::invoke("Activation", {bn}, {{"act_type", "relu"}}, "relu1") * 2.0;
  CHECK(net.list_arguments() == std::vector<std::string>{"data", "fc1_weight", "fc1_bias", "bn_gamma", "bn_beta"});
  CHECK(net.list_auxiliary_states() == std::vector<std::string>{"bn_mean", "bn_var"});
  CHECK(net.list_inputs().size() == 7);
  REQUIRE(net.list_outputs().size() == 1);
  CHECK(net.list_outputs()[0].starts_with("mul_scalar"));
  const auto internals = net.get_internals();
  const auto names = internals.list_outputs();
  CHECK(std::find(names.begin(), names.end(), "fc1_output") != names.end());
  CHECK(std::find(names.begin(), names.end(), "relu1_output") != names.end());
  CHECK(internals["relu1_output"].name() == "relu1");
  CHECK_THROWS_WITH(internals["nothing_output"], Contains("no output named 'nothing_output'") && Contains("fc1_output"));
  auto split = sym::invoke("SliceChannel", {data}, {{"num_outputs", "2"}, {"axis", "1"}}, "split0");
  CHECK(split.list_outputs() == std::vector<std::string>{"split0_output0", "split0_output1"});
  CHECK_THROWS_WITH(sym::invoke("NoSuchOp", {data}), Contains("'NoSuchOp' is not supported"));
}

TEST_CASE("Symbol: tojson writes MXNet 1.x's layout, field by field", "[symbol]") {
  auto data = sym::var("data");
  auto bn = sym::invoke("BatchNorm", {data, sym::var("g"), sym::var("b"), sym::var("m"), sym::var("v")},
                        {{"eps", "0.001"}}, "bn0");
  auto out = sym::invoke("Activation", {bn}, {{"act_type", "relu"}}, "relu0");
  const json doc = json::parse(out.tojson());
  REQUIRE(doc["nodes"].size() == 7);
  CHECK(doc["nodes"][0] == json({{"op", "null"}, {"name", "data"}, {"inputs", json::array()}}));
  CHECK(doc["nodes"][5]["op"] == "BatchNorm");
  CHECK(doc["nodes"][5]["name"] == "bn0");
  CHECK(doc["nodes"][5]["attrs"] == json({{"eps", "0.001"}}));
  CHECK(doc["nodes"][5]["inputs"] == json::parse("[[0,0,0],[1,0,0],[2,0,0],[3,0,0],[4,0,0]]"));
  CHECK(doc["nodes"][6]["inputs"] == json::parse("[[5,0,0]]"));
  CHECK(doc["arg_nodes"] == json::parse("[0,1,2,3,4]"));
  // BatchNorm has three outputs in MXNet (two hidden): the row pointer counts them.
  CHECK(doc["node_row_ptr"] == json::parse("[0,1,2,3,4,5,8,9]"));
  CHECK(doc["heads"] == json::parse("[[6,0,0]]"));
  CHECK(doc["attrs"]["mxnet_version"] == json::parse(R"(["int", 10901])"));
  // And back.
  const auto loaded = sym::load_json(out.tojson());
  CHECK(loaded.list_arguments() == out.list_arguments());
  CHECK(loaded.get_internals().list_outputs() == out.get_internals().list_outputs());
  CHECK(json::parse(loaded.tojson()) == doc);
}

TEST_CASE("SymbolBlock::imports runs MXNet 1.9's export of an MLP to hand-computed values", "[symbol]") {
  const std::string symbol_file = test::temp_path("mlp-symbol.json"), param_file = test::temp_path("mlp-0000.params");
  write_file(symbol_file, kMxnetMlp);
  nd::save(param_file, mlp_params());
  auto net = gluon::SymbolBlock::imports(symbol_file, {"data"}, param_file);
  test::check_array((*net)(mlp_input()), Shape{2, 1}, {-3, 6});
  auto params = net->collect_params();
  CHECK(params.size() == 3);
  CHECK(params["dense0_weight"].shape() == Shape{3, 2});
  // Hybridized, the same graph runs as one traced graph.
  net->hybridize();
  test::check_array((*net)(mlp_input()), Shape{2, 1}, {-3, 6});
  test::check_array((*net)(mlp_input()), Shape{2, 1}, {-3, 6});
  // Gradients flow through the loaded operators: d(sum out)/d bias0 is w1 where the hidden unit is active:
  // [0 0 -1] for the first row, [1 2 -1] for the second.
  {
    autograd::record r;
    nd::sum((*net)(mlp_input())).backward();
  }
  test::check_array(params["dense0_bias"].grad(), Shape{3}, {1, 2, -2});
  std::remove(symbol_file.c_str());
  std::remove(param_file.c_str());
}

TEST_CASE("a SymbolBlock makes its nodes' new arrays beside its input", "[symbol]") {
  // x + _zeros + _ones, SwapAxis'd as MXNet writes swapaxes: every array on the input's context.
  const sym::Symbol made = sym::invoke("broadcast_add", {sym::var("data"), sym::invoke("_ones", {}, {{"shape", "(1, 2)"}})});
  const sym::Symbol swapped = sym::invoke("SwapAxis", {sym::invoke("broadcast_add", {made, sym::invoke("_zeros", {}, {{"shape", "(2,)"}})})},
                                          {{"dim1", "0"}, {"dim2", "1"}});
  gluon::SymbolBlock block(swapped, {sym::var("data")});
  const NDArray x = nd::array({1, 2, 3, 4, 5, 6}, Shape{3, 2}, cpu(1));
  const NDArray y = block(x);
  CHECK(y.context() == cpu(1));
  test::check_array(y, Shape{2, 3}, {2, 4, 6, 3, 5, 7});
}

TEST_CASE("sym::load upgrades MXNet 0.8's JSON", "[symbol]") {
  const auto net = sym::load_json(kMxnet08);
  CHECK(net.list_arguments() == std::vector<std::string>{"data", "dense0_weight", "dense0_bias"});
  const auto nodes = net.topological_nodes();
  CHECK(nodes[1]->attrs == op::Attrs{{"__lr_mult__", "2.0"}});
  CHECK(nodes[3]->attrs.at("__ctx_group__") == "stage1");
  CHECK(nodes[3]->attrs.at("num_hidden") == "3");
  auto params = mlp_params();
  const auto out = net.eval({{"data", mlp_input()},
                             {"dense0_weight", params["arg:dense0_weight"]},
                             {"dense0_bias", params["arg:dense0_bias"]}});
  test::check_array(out[0], Shape{2, 3}, {0, 0, 3.5, 4, 1, 0.5});
}

TEST_CASE("sym::load runs MXNet's Reshape with its special values and reverse", "[symbol]") {
  // As MXNet 1.9 writes x.reshape((-3, -2)).reshape((-4, 2, -1, -2)).reshape((-1, 0), reverse=True).
  const char* reshapes = R"json({
    "nodes": [
      {"op": "null", "name": "data", "inputs": []},
      {"op": "Reshape", "name": "reshape0", "attrs": {"shape": "(-3, -2)"}, "inputs": [[0, 0, 0]]},
      {"op": "Reshape", "name": "reshape1", "attrs": {"shape": "(-4, 2, -1, -2)"}, "inputs": [[1, 0, 0]]},
      {"op": "Reshape", "name": "reshape2", "attrs": {"reverse": "True", "shape": "(-1, 0)"}, "inputs": [[2, 0, 0]]}
    ],
    "arg_nodes": [0],
    "node_row_ptr": [0, 1, 2, 3, 4],
    "heads": [[3, 0, 0]],
    "attrs": {"mxnet_version": ["int", 10901]}
  })json";
  const auto net = sym::load_json(reshapes);
  const NDArray x = nd::arange(24).reshape({2, 3, 4});
  // (2, 3, 4) -> (6, 4) -> (2, 3, 4) -> matched from the right: (6, 4), where from the left it would be (8, 3).
  const auto out = net.eval({{"data", x}});
  REQUIRE(out.size() == 1);
  std::vector<double> expected(24);
  for (int i = 0; i < 24; ++i) expected[static_cast<std::size_t>(i)] = i;
  test::check_array(out[0], Shape{6, 4}, expected);
  CHECK(x.reshape({-1, 0}).shape() == Shape{8, 3});
}

TEST_CASE("Symbol files: bad input names the file, node, operator or attribute", "[symbol]") {
  CHECK_THROWS_WITH(sym::load_json("{not json", "f.json"), Contains("f.json") && Contains("not JSON"));
  CHECK_THROWS_WITH(sym::load_json(R"({"nodes": []})", "f.json"), Contains("needs \"nodes\" and \"heads\""));
  std::string unknown_op = kMxnetMlp;
  unknown_op.replace(unknown_op.find("\"Activation\""), 12, "\"MyActivation\"");
  CHECK_THROWS_WITH(sym::load_json(unknown_op, "f.json"),
                    Contains("node 'dense0_relu_fwd'") && Contains("'MyActivation' is not supported"));
  std::string bad_input = kMxnetMlp;
  bad_input.replace(bad_input.find("[[3, 0, 0]]"), 11, "[[9, 0, 0]]");
  CHECK_THROWS_WITH(sym::load_json(bad_input, "f.json"), Contains("refers to node 9"));
  // A head reading an output its node does not have.
  std::string bad_head = kMxnetMlp;
  const auto heads = bad_head.find("\"heads\"");
  bad_head.replace(bad_head.find(", 0, 0]]", heads), 8, ", 3, 0]]");
  CHECK_THROWS_WITH(sym::load_json(bad_head, "f.json"), Contains("f.json") && Contains("a head reads output 3 of"));
  // An attribute mxpp does not know is an error at the call, naming it.
  std::string bad_attr = kMxnetMlp;
  bad_attr.replace(bad_attr.find("\"act_type\": \"relu\""), 18, "\"act_type\": \"relu\", \"fancy\": \"1\"");
  const auto net = sym::load_json(bad_attr);
  auto params = mlp_params();
  CHECK_THROWS_WITH(net.eval({{"data", mlp_input()}, {"dense0_weight", params["arg:dense0_weight"]},
                              {"dense0_bias", params["arg:dense0_bias"]}, {"dense1_weight", params["arg:dense1_weight"]}}),
                    Contains("symbol node 'dense0_relu_fwd' (Activation)") && Contains("unknown attribute(s) fancy=\"1\""));
  // A parameter file that does not match the symbol names what is missing and what is extra.
  const std::string symbol_file = test::temp_path("bad-symbol.json"), param_file = test::temp_path("bad-0000.params");
  write_file(symbol_file, kMxnetMlp);
  params.erase("arg:dense1_weight");
  params["arg:stray"] = nd::zeros(Shape{1});
  nd::save(param_file, params);
  CHECK_THROWS_WITH(gluon::SymbolBlock::imports(symbol_file, {"data"}, param_file),
                    Contains("missing: dense1_weight") && Contains("not in the symbol: stray") && Contains(param_file));
  std::remove(symbol_file.c_str());
  std::remove(param_file.c_str());
}

TEST_CASE("export writes MXNet's files, imports gives the same outputs (MLP, MXNet names)", "[symbol]") {
  nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(nn::Dense(5, "relu"), nn::Dense(2));
  }
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, Shape{3, 4});
  CHECK_THROWS_WITH(net.export_(test::temp_path("mlp")), Contains("hybridized and called once"));
  net.hybridize();
  const NDArray expected = net(x);
  const std::string path = test::temp_path("exported_mlp");
  net.export_(path, 7);
  const json doc = json::parse(read_file(path + "-symbol.json"));
  std::vector<std::string> ops, names;
  for (const auto& node : doc["nodes"]) {
    ops.push_back(node["op"].get<std::string>());
    names.push_back(node["name"].get<std::string>());
  }
  const std::string p = net.prefix();
  CHECK(ops == std::vector<std::string>{"null", "null", "null", "FullyConnected", "Activation", "null", "null",
                                        "FullyConnected"});
  CHECK(names == std::vector<std::string>{"data", p + "dense0_weight", p + "dense0_bias", p + "dense0_fwd",
                                          p + "dense0_relu_fwd", p + "dense1_weight", p + "dense1_bias",
                                          p + "dense1_fwd"});
  CHECK(doc["nodes"][3]["attrs"] == json({{"flatten", "True"}, {"no_bias", "False"}, {"num_hidden", "5"}}));
  const auto saved = nd::load(path + "-0007.params").dict();
  CHECK(saved.size() == 4);
  CHECK(saved.contains("arg:" + p + "dense0_weight"));
  check_same(saved.at("arg:" + p + "dense1_bias"), net.collect_params()[p + "dense1_bias"].data());
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0007.params");
  check_same((*loaded)(x), expected);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0007.params").c_str());
}

TEST_CASE("export and imports round trip a CNN with BatchNorm's auxiliary states", "[symbol]") {
  auto net = make_cnn();
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, Shape{2, 3, 8, 8});
  {
    autograd::train_mode t;  // moves BatchNorm's running statistics away from their initial values
    net(x).wait_to_read();
  }
  net.hybridize();
  const NDArray expected = net(x);
  const std::string path = test::temp_path("cnn");
  net.export_(path);
  const sym::Symbol symbol = sym::load(path + "-symbol.json");
  std::vector<std::string> ops;
  for (const auto& node : symbol.topological_nodes()) {
    if (!node->is_variable()) ops.push_back(node->op);
  }
  CHECK(ops == std::vector<std::string>{"Convolution", "Activation", "BatchNorm", "Pooling", "Flatten", "Dropout",
                                        "FullyConnected"});
  const std::string p = net.prefix();
  CHECK(symbol.list_auxiliary_states() ==
        std::vector<std::string>{p + "batchnorm0_running_mean", p + "batchnorm0_running_var"});
  const auto saved = nd::load(path + "-0000.params").dict();
  CHECK(saved.contains("aux:" + p + "batchnorm0_running_mean"));
  CHECK(saved.contains("arg:" + p + "conv0_weight"));
  const json doc = json::parse(read_file(path + "-symbol.json"));
  for (const auto& node : doc["nodes"]) {
    if (node["op"] == "Convolution") {
      CHECK(node["attrs"] == json({{"kernel", "(3, 3)"}, {"stride", "(1, 1)"}, {"pad", "(1, 1)"},
                                   {"dilate", "(1, 1)"}, {"num_filter", "4"}, {"num_group", "1"},
                                   {"no_bias", "False"}, {"layout", "NCHW"}}));
    }
  }
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_same((*loaded)(x), expected, 1e-5);
  loaded->hybridize();
  check_same((*loaded)(x), expected, 1e-5);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("SymbolBlock from a network's internals: the seed's feature extractor", "[symbol]") {
  nn::HybridSequential net("model_");
  {
    auto scope = net.name_scope();
    net.add(nn::Dense(6, "relu"), nn::Dense(2));
  }
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, Shape{3, 4});
  auto out = net(sym::var("data", {.shape = Shape{3, 4}}));
  CHECK(out.list_arguments() ==
        std::vector<std::string>{"data", "model_dense0_weight", "model_dense0_bias", "model_dense1_weight",
                                 "model_dense1_bias"});
  auto internals = out.get_internals();
  gluon::SymbolBlock features(internals["model_dense0_relu_fwd_output"], {sym::var("data")}, net.collect_params());
  CHECK(features.collect_params().size() == 2);
  // The truncated network by hand: relu(x W^T + b) with the network's own arrays.
  auto params = net.collect_params();
  const NDArray w = params["model_dense0_weight"].data(), b = params["model_dense0_bias"].data();
  check_same(features(x), nd::relu(nd::dot(x, w, false, true) + b));
  // Shared, not copied: a change to the network's parameter shows in the extractor.
  params["model_dense0_bias"].set_data(nd::ones(Shape{6}) * 10);
  check_same(features(x), nd::relu(nd::dot(x, w, false, true) + 10.0));
}

TEST_CASE("export: a forward with no symbol form is a clear error", "[symbol]") {
  nn::HybridSequential net;
  net.add(nn::HybridLambda([](const NDArray& x) { return nd::one_hot(x, 3); }, "OneHot"));
  net.hybridize();
  net(nd::array({0, 2}, Shape{2})).wait_to_read();
  CHECK_THROWS_WITH(net.export_(test::temp_path("onehot")), Contains("no symbol form") && Contains("one_hot"));
  CHECK_THROWS_WITH(net(sym::invoke("relu", {sym::var("data")})), Contains("called on a variable"));
  nn::Dense fresh(2);
  CHECK_THROWS_WITH(fresh(sym::var("data")), Contains("needs its shape"));
}

TEST_CASE("custom operators export as MXNet's Custom nodes and import by op_type", "[symbol]") {
  if (!custom::is_registered("symbol_test_scale")) {
    custom::register_operator("symbol_test_scale", {.forward = [](const custom::Call& call, std::span<const NDArray> in) {
                                return std::vector<NDArray>{in[0] * std::stod(call.params.at("factor"))};
                              }});
  }
  nn::HybridSequential net;
  net.add(nn::HybridLambda([](const NDArray& x) { return nd::custom(x, "symbol_test_scale", {{"factor", "3"}}); }));
  net.hybridize();
  const NDArray x = nd::array({1, -2}, Shape{2});
  test::check_array(net(x), Shape{2}, {3, -6});
  const std::string path = test::temp_path("custom");
  net.export_(path);
  const json doc = json::parse(read_file(path + "-symbol.json"));
  REQUIRE(doc["nodes"].size() == 2);
  CHECK(doc["nodes"][1]["op"] == "Custom");
  CHECK(doc["nodes"][1]["attrs"] == json({{"factor", "3"}, {"op_type", "symbol_test_scale"}}));
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"});
  test::check_array((*loaded)(x), Shape{2}, {3, -6});
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
  std::string unknown = doc.dump();
  unknown.replace(unknown.find("symbol_test_scale"), 17, "symbol_test_nope");
  CHECK_THROWS_WITH(sym::load_json(unknown), Contains("custom operator 'symbol_test_nope' is not registered"));
}
