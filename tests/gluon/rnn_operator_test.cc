// MXNet's fused RNN operator: its packed parameters run to the reference's equations (with LSTM's clip and
// projection), gradients by finite differences, a symbol file in MXNet's layout loaded and run, the layers'
// MXNet-style export, and the errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <mx/mx.h>

#include "../autograd/gradient_check.h"
#include "../operators/test_util.h"
#include "../temp_path.h"
#include "rnn_reference.h"

using namespace mx;
using namespace mx::test::rnn_reference;
using Catch::Matchers::Contains;
using test::check_array;
namespace rnn = gluon::rnn;

TEST_CASE("MXNet's fused RNN operator runs its packed parameters to the equations", "[gluon][rnn]") {
  const std::int64_t T = 3, N = 2, C = 3, H = 2;
  std::mt19937_64 rng(11);
  const struct {
    Kind kind;
    const char* mode;
    std::int64_t projection;
  } modes[] = {{Kind::kTanh, "rnn_tanh", 0}, {Kind::kRelu, "rnn_relu", 0}, {Kind::kLSTM, "lstm", 0},
               {Kind::kLSTM, "lstm", 1}, {Kind::kGRU, "gru", 0}};
  for (const auto& [kind, mode, projection] : modes) {
    for (const bool bidirectional : {false, true}) {
      for (const bool given : {false, true}) {
        INFO(mode << (projection ? " projected" : "") << (bidirectional ? " bidirectional" : "") << (given ? " given states" : ""));
        const int D = bidirectional ? 2 : 1, count = kind == Kind::kLSTM ? 2 : 1;
        const std::int64_t R = projection ? projection : H;
        Reference r = random_stack(rng, kind, 2, D, C, H, projection);
        nd::RNNOptions options{.state_size = H, .num_layers = 2, .bidirectional = bidirectional, .mode = mode,
                               .state_outputs = true};
        if (projection) options.projection_size = projection;
        // A clip that bites, on the LSTM from given states.
        if (kind == Kind::kLSTM && given) {
          r.clip = {-0.3, 0.25};
          options.lstm_state_clip_min = -0.3;
          options.lstm_state_clip_max = 0.25;
        }
        const std::vector<double> packed = pack(r);
        REQUIRE(nd::rnn_param_size(options, C) == static_cast<std::int64_t>(packed.size()));
        const std::vector<double> x = uniform_values(rng, T * N * C, 1);
        std::vector<NDArray> states;
        std::vector<std::vector<double>> state_values;
        for (int k = 0; given && k < count; ++k) {
          const std::int64_t width = k == 0 ? R : H;
          state_values.push_back(uniform_values(rng, 2 * D * N * width, 1));
          states.push_back(nd::array(state_values.back(), Shape{2 * D, N, width}, cpu(), DType::kFloat64));
        }
        const NDArray data = nd::array(x, Shape{T, N, C}, cpu(), DType::kFloat64);
        const NDArray parameters = nd::array(packed, Shape{static_cast<std::int64_t>(packed.size())}, cpu(), DType::kFloat64);
        const std::vector<NDArray> got = nd::RNN(data, parameters, states, {}, options);
        std::vector<std::vector<double>> last;
        const std::vector<double> expected = reference_run(r, x, T, N, C, state_values, last);
        REQUIRE(got.size() == static_cast<std::size_t>(1 + count));
        check_array(got[0], {T, N, D * R}, expected, 1e-12);
        for (std::size_t k = 0; k < last.size(); ++k) check_array(got[1 + k], {2 * D, N, k == 0 ? R : H}, last[k], 1e-12);
        if (r.clip) {  // the clip changed the result
          Reference unclipped = r;
          unclipped.clip.reset();
          std::vector<std::vector<double>> unclipped_last;
          const std::vector<double> free = reference_run(unclipped, x, T, N, C, state_values, unclipped_last);
          double largest = 0;
          for (std::size_t i = 0; i < free.size(); ++i) largest = std::max(largest, std::abs(free[i] - expected[i]));
          CHECK(largest > 1e-3);
        }
        // Without state outputs, the output alone; MXNet's exported zero states (2D, 0, H) count as zeros.
        options.state_outputs = false;
        if (!given) {
          std::vector<NDArray> unknown_batch;
          for (int k = 0; k < count; ++k) unknown_batch.push_back(nd::zeros({2 * D, 0, k == 0 ? R : H}, cpu(), DType::kFloat64));
          const std::vector<NDArray> zeros = nd::RNN(data, parameters, unknown_batch, {}, options);
          REQUIRE(zeros.size() == 1);
          check_array(zeros[0], {T, N, D * R}, expected, 1e-12);
        }
      }
    }
  }
}

TEST_CASE("gradients through the fused RNN operator match finite differences", "[gluon][rnn]") {
  // A bidirectional LSTM with clipping and a projection: data, packed parameters and both states.
  nd::RNNOptions lstm{.state_size = 2, .bidirectional = true, .mode = "lstm", .state_outputs = true,
                      .lstm_state_clip_min = -0.6, .lstm_state_clip_max = 0.6, .projection_size = 1};
  const auto joined = [](const std::vector<NDArray>& outputs) {
    std::vector<NDArray> flat;
    for (const NDArray& o : outputs) flat.push_back(o.reshape({-1}));
    return nd::concat(flat, 0);
  };
  test::GradientCheck c;
  c.f = [&](const std::vector<NDArray>& in) { return joined(nd::RNN(in[0], in[1], {in[2], in[3]}, {}, lstm)); };
  c.shapes = {{3, 2, 2}, {nd::rnn_param_size(lstm, 2)}, {2, 2, 1}, {2, 2, 2}};
  c.low = -1;
  c.high = 1;
  c.both_signs = true;
  test::check_gradient(c);
  // A two-layer GRU over sequences of lengths 0 to 3.
  nd::RNNOptions gru{.state_size = 2, .num_layers = 2, .mode = "gru", .state_outputs = true};
  test::GradientCheck g;
  g.f = [&](const std::vector<NDArray>& in) { return joined(nd::RNN(in[0], in[1], {in[2]}, in[3], gru)); };
  g.shapes = {{3, 4, 2}, {nd::rnn_param_size(gru, 2)}, {2, 4, 2}, {4}};
  g.differentiable = {true, true, true, false};
  g.index_limit = 4;
  g.low = -1;
  g.high = 1;
  g.both_signs = true;
  test::check_gradient(g);
}

TEST_CASE("an LSTM with a projection (LSTMP) matches the equations, hybridizes and exports", "[gluon][rnn]") {
  const std::int64_t T = 4, N = 3, C = 5, H = 4, P = 2;
  gluon::nn::HybridSequential net;
  auto options = float64_options(2, true, "NTC");
  options.projection_size = P;
  net.add(rnn::LSTM(H, options));
  net.initialize(init::Uniform(0.6));
  auto& lstm = dynamic_cast<rnn::LSTM&>(*net.children().front().second);
  const NDArray x = nd::random::uniform(-1, 1, {N, T, C}, cpu(), DType::kFloat64);
  const std::vector<NDArray> begin = {nd::random::uniform(-1, 1, {4, N, P}, cpu(), DType::kFloat64),
                                      nd::random::uniform(-1, 1, {4, N, H}, cpu(), DType::kFloat64)};
  const rnn::RecurrentOutput got = lstm(x, begin);
  const Reference r = read_weights(Kind::kLSTM, lstm, 2, 2, H);
  REQUIRE(r.projection == P);
  std::vector<std::vector<double>> last;
  const std::vector<double> expected =
      reference_run(r, to_time_major(x.asnumpy<double>(), N, T, C), T, N, C, {begin[0].asnumpy<double>(), begin[1].asnumpy<double>()}, last);
  check_array(nd::swapaxes(got.output, 0, 1), {T, N, 2 * P}, expected, 1e-12);
  check_array(got.states[0], {4, N, P}, last[0], 1e-12);
  check_array(got.states[1], {4, N, H}, last[1], 1e-12);
  CHECK(lstm.begin_state(7)[0].shape() == Shape{4, 7, P});
  CHECK(lstm.collect_params().contains("l1_h2r_weight"));
  CHECK(lstm.collect_params()["l1_i2h_weight"].shape() == Shape{4 * H, 2 * P});
  CHECK(lstm.repr() == "LSTM(5 -> 4, NTC, num_layers=2, bidirectional, projection_size=2)");

  const NDArray imperative = net(x);
  net.hybridize();
  check_array(net(x), {N, T, 2 * P}, imperative.asnumpy<double>(), 1e-12);
  const std::string path = test::temp_path("lstmp");
  net.export_(path);
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_array((*loaded)(x), {N, T, 2 * P}, imperative.asnumpy<double>(), 1e-12);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("a symbol file MXNet wrote for a recurrent layer loads and runs as the layer", "[gluon][rnn]") {
  // What MXNet 1.9 exports for gluon.rnn.LSTM(3, num_layers=2, bidirectional=True, layout='NTC') under the
  // prefix lstm0_: the input swapped to TNC; every parameter reshaped to (-1,) and joined by
  // _rnn_param_concat (weights first); zero begin states of unknown batch; one RNN node with three outputs,
  // the first swapped back.
  std::vector<std::string> nodes = {R"({"op": "null", "name": "data", "inputs": []})",
                                    R"({"op": "SwapAxis", "name": "lstm0_swapaxes0", "attrs": {"dim1": "0", "dim2": "1"}, "inputs": [[0, 0, 0]]})"};
  std::vector<int> arg_nodes = {0};
  std::string concat_inputs;
  int reshapes = 0;
  for (const char* kind : {"weight", "bias"}) {
    for (const char* stem : {"l0_", "r0_", "l1_", "r1_"}) {
      for (const char* gate : {"i2h_", "h2h_"}) {
        const int variable = static_cast<int>(nodes.size());
        arg_nodes.push_back(variable);
        nodes.push_back(R"({"op": "null", "name": "lstm0_)" + std::string(stem) + gate + kind +
                        R"(", "attrs": {"__dtype__": "0", "__lr_mult__": "1.0", "__storage_type__": "0", "__wd_mult__": "1.0"}, "inputs": []})");
        nodes.push_back(R"({"op": "Reshape", "name": "lstm0_reshape)" + std::to_string(reshapes++) +
                        R"j(", "attrs": {"shape": "(-1,)"}, "inputs": [[)j" + std::to_string(variable) + ", 0, 0]]}");
        concat_inputs += (concat_inputs.empty() ? "[" : ", [") + std::to_string(variable + 1) + ", 0, 0]";
      }
    }
  }
  const int concat = static_cast<int>(nodes.size());
  nodes.push_back(R"({"op": "_rnn_param_concat", "name": "lstm0_rnn_param_concat0", "attrs": {"dim": "0", "num_args": "16"}, "inputs": [)" +
                  concat_inputs + "]}");
  for (int k = 0; k < 2; ++k) {
    nodes.push_back(R"({"op": "_zeros", "name": "lstm0_h0_)" + std::to_string(k) +
                    R"j(", "attrs": {"__layout__": "LNC", "dtype": "float32", "shape": "(4, 0, 3)"}, "inputs": []})j");
  }
  nodes.push_back(R"({"op": "RNN", "name": "lstm0_rnn0", "attrs": {"bidirectional": "True", "lstm_state_clip_max": "None", )"
                  R"("lstm_state_clip_min": "None", "lstm_state_clip_nan": "False", "mode": "lstm", "num_layers": "2", )"
                  R"("p": "0", "projection_size": "None", "state_outputs": "True", "state_size": "3", )"
                  R"("use_sequence_length": "False"}, "inputs": [[1, 0, 0], [)" +
                  std::to_string(concat) + ", 0, 0], [" + std::to_string(concat + 1) + ", 0, 0], [" +
                  std::to_string(concat + 2) + ", 0, 0]]}");
  const int rnn_node = static_cast<int>(nodes.size()) - 1;
  nodes.push_back(R"({"op": "SwapAxis", "name": "lstm0_swapaxes1", "attrs": {"dim1": "0", "dim2": "1"}, "inputs": [[)" +
                  std::to_string(rnn_node) + ", 0, 0]]}");
  std::string json = R"({"nodes": [)", row_ptr = "0", args;
  int rows = 0;
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    json += (i ? ",\n" : "") + nodes[i];
    rows += static_cast<int>(i) == rnn_node ? 3 : 1;
    row_ptr += ", " + std::to_string(rows);
  }
  for (const int a : arg_nodes) args += (args.empty() ? "" : ", ") + std::to_string(a);
  json += "], \"arg_nodes\": [" + args + "], \"node_row_ptr\": [" + row_ptr + "], \"heads\": [[" +
          std::to_string(rnn_node + 1) + R"(, 0, 0]], "attrs": {"mxnet_version": ["int", 10901]}})";

  // The same layer of ours, its parameters saved as MXNet's arg: entries.
  gluon::nn::Sequential holder;
  {
    auto scope = holder.name_scope();
    holder.add(rnn::LSTM(3, {.num_layers = 2, .layout = "NTC", .bidirectional = true, .input_size = 2,
                             .i2h_bias_initializer = init::Uniform(0.5), .h2h_bias_initializer = init::Uniform(0.5)}));
  }
  holder.initialize(init::Uniform(0.7));
  std::map<std::string, NDArray> saved;
  for (const auto& [name, p] : holder.collect_params()) {
    saved["arg:" + name.substr(holder.prefix().size())] = p.data();
  }
  REQUIRE(saved.contains("arg:lstm0_r1_h2h_bias"));
  const std::string symbol_file = test::temp_path("mxnet-lstm-symbol.json"), param_file = test::temp_path("mxnet-lstm-0000.params");
  std::ofstream(symbol_file) << json;
  nd::save(param_file, saved);
  auto loaded = gluon::SymbolBlock::imports(symbol_file, {"data"}, param_file);
  const NDArray x = nd::random::uniform(-1, 1, {4, 5, 2});
  const NDArray expected = holder(x);
  check_array((*loaded)(x), {4, 5, 6}, expected.asnumpy<double>(), 1e-6);
  // A batch of another size: the zero states' unknown batch follows the input's.
  const NDArray single = nd::random::uniform(-1, 1, {1, 3, 2});
  check_array((*loaded)(single), {1, 3, 6}, holder(single).asnumpy<double>(), 1e-6);
  std::remove(symbol_file.c_str());
  std::remove(param_file.c_str());
}

TEST_CASE("a hybridized recurrent layer exports MXNet's nodes: packed parameters and one RNN", "[gluon][rnn]") {
  gluon::nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(rnn::GRU(3, {.num_layers = 2, .layout = "NTC", .i2h_bias_initializer = init::Uniform(0.5),
                         .h2h_bias_initializer = init::Uniform(0.5)}));
  }
  net.initialize(init::Xavier());
  const NDArray x = nd::random::uniform(-1, 1, {2, 4, 5});
  const NDArray imperative = net(x);
  net.hybridize();
  check_array(net(x), {2, 4, 3}, imperative.asnumpy<double>(), 1e-6);
  const std::string path = test::temp_path("gru-export");
  net.export_(path);
  std::ifstream file(path + "-symbol.json");
  const std::string json((std::istreambuf_iterator<char>(file)), {});
  const auto count = [&](const std::string& text) {
    std::size_t n = 0;
    for (std::size_t at = json.find(text); at != std::string::npos; at = json.find(text, at + 1)) ++n;
    return n;
  };
  CHECK(count(R"("op": "RNN")") == 1);
  CHECK(count(R"("op": "_rnn_param_concat")") == 1);
  CHECK(count(R"("mode": "gru")") == 1);
  CHECK(count(R"("op": "FullyConnected")") == 0);  // no step of the recurrence as nodes of its own
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  check_array((*loaded)(x), {2, 4, 3}, imperative.asnumpy<double>(), 1e-6);
  const NDArray other = nd::random::uniform(-1, 1, {3, 2, 5});
  check_array((*loaded)(other), {3, 2, 3}, net(other).asnumpy<double>(), 1e-6);
  std::remove((path + "-symbol.json").c_str());
  std::remove((path + "-0000.params").c_str());
}

TEST_CASE("the fused RNN operator refuses bad parameters by name", "[gluon][rnn]") {
  const NDArray data = nd::ones({3, 2, 4});
  nd::RNNOptions o{.state_size = 5, .mode = "lstm"};
  CHECK_THROWS_WITH(nd::RNN(data, nd::ones({7}), {}, {}, o),
                    Contains("RNN") && Contains("(7,)") && Contains("expected (" + std::to_string(nd::rnn_param_size(o, 4)) + ",)"));
  const NDArray parameters = nd::ones({nd::rnn_param_size(o, 4)});
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {nd::zeros({1, 2, 5})}, {}, o), Contains("takes 2 state arrays"));
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {nd::zeros({1, 3, 5}), nd::zeros({1, 3, 5})}, {}, o),
                    Contains("RNN") && Contains("(1, 3, 5)") && Contains("(1, 2, 5)"));
  CHECK_THROWS_WITH(nd::RNN(nd::ones({3, 4}), parameters, {}, {}, o), Contains("RNN") && Contains("(T, N, C)"));
  o.mode = "lstmp";
  CHECK_THROWS_WITH(nd::RNN(data, parameters, {}, {}, o), Contains("RNN") && Contains("lstmp"));
  o.mode = "gru";
  o.lstm_state_clip_min = -1;
  o.lstm_state_clip_max = 1;
  CHECK_THROWS_WITH(nd::RNN(data, nd::ones({nd::rnn_param_size(o, 4)}), {}, {}, o), Contains("mode lstm"));
  // Sizes past 64 bits, as a symbol file may give, are refused rather than wrapped.
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "9223372036854775807"}, {"mode", "gru"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("overflow 64 bits"));
  // A projection is LSTM's alone, and whole.
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "5"}, {"mode", "gru"}, {"projection_size", "2"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("projection_size"));
  CHECK_THROWS_WITH(op::call_symbol_op("RNN", {{"state_size", "5"}, {"mode", "lstm"}, {"projection_size", "2.5"}},
                                       std::vector<NDArray>{data, parameters, nd::zeros({1, 2, 5}), nd::zeros({1, 2, 5})}),
                    Contains("RNN") && Contains("whole number"));
}
