// Forward hooks, apply and op hooks: what each sees, in which order, and what detach and hybridize change.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace nn = gluon::nn;

namespace {

// y = relu(x W1^T + b1) W2^T + b2 with weights set by hand, so that each layer's output is known.
nn::HybridSequential small_net() {
  nn::HybridSequential net;
  {
    auto scope = net.name_scope();
    net.add(nn::Dense(2, "relu", {.in_units = 2}), nn::Dense(1, {.in_units = 2}));
  }
  net.initialize();
  auto params = net.collect_params();
  const std::string p = net.prefix();
  params[p + "dense0_weight"].set_data(nd::array({1.0f, -1.0f, 2.0f, 1.0f}, Shape{2, 2}));
  params[p + "dense0_bias"].set_data(nd::array({0.5f, -4.0f}, Shape{2}));
  params[p + "dense1_weight"].set_data(nd::array({3.0f, 1.0f}, Shape{1, 2}));
  params[p + "dense1_bias"].set_data(nd::array({1.0f}, Shape{1}));
  return net;
}

// x = (1, 2): by hand dense0 gives (1 - 2 + 0.5, 2 + 2 - 4) = (-0.5, 0), relu (0, 0), dense1 3*0 + 0 + 1 = 1;
// x = (3, 1): (2.5, 3), relu the same, dense1 7.5 + 3 + 1 = 11.5.
const std::vector<float> kX = {1, 2, 3, 1};

}  // namespace

TEST_CASE("forward hooks see each call's input and output, in order, until detached", "[gluon][block]") {
  nn::HybridSequential net = small_net();
  const NDArray x = nd::array(kX, Shape{2, 2});
  std::vector<std::string> calls;
  std::vector<float> seen_input, seen_output;
  auto& first = *net.children()[0].second;
  gluon::HookHandle pre = first.register_forward_pre_hook([&](gluon::Block& block, const NDArray& in) {
    calls.push_back("pre " + block.name());
    seen_input = in.asnumpy<float>();
  });
  gluon::HookHandle post = first.register_forward_hook([&](gluon::Block& block, const NDArray& in, const NDArray& out) {
    calls.push_back("post " + block.name() + " " + in.shape().str() + " -> " + out.shape().str());
    seen_output = out.asnumpy<float>();
  });
  net.register_forward_hook([&](gluon::Block& block, const NDArray&, const NDArray&) { calls.push_back("post " + block.name()); });
  const std::vector<float> y = net(x).asnumpy<float>();
  CHECK(y == std::vector<float>{1.0f, 11.5f});
  const std::string d0 = net.prefix() + "dense0";
  CHECK(calls == std::vector<std::string>{"pre " + d0, "post " + d0 + " (2, 2) -> (2, 2)", "post " + net.name()});
  CHECK(seen_input == kX);
  CHECK(seen_output == std::vector<float>{0, 0, 2.5f, 3});  // after dense0's relu
  // Detached hooks stop; the others go on.
  pre.detach();
  post.detach();
  calls.clear();
  net(x);
  CHECK(calls == std::vector<std::string>{"post " + net.name()});
  // Hybridized: the network's own hooks run at each call, its children's are inside the cached graph.
  first.register_forward_hook([&](gluon::Block&, const NDArray&, const NDArray&) { calls.push_back("child"); });
  net.hybridize();
  calls.clear();
  CHECK(net(x).asnumpy<float>() == y);
  CHECK(net(x).asnumpy<float>() == y);
  CHECK(calls == std::vector<std::string>{"post " + net.name(), "post " + net.name()});
  CHECK_THROWS_WITH(net.register_forward_hook({}), Contains("empty"));
}

TEST_CASE("apply visits every block, children before their parent", "[gluon][block]") {
  nn::HybridSequential net;
  nn::HybridSequential inner;
  inner.add(nn::Dense(3), nn::Dropout(0.5));
  net.add(inner, nn::Dense(1));
  std::vector<std::string> kinds;
  net.apply([&](gluon::Block& block) { kinds.push_back(block.repr().substr(0, block.repr().find('('))); });
  CHECK(kinds == std::vector<std::string>{"Dense", "Dropout", "HybridSequential", "Dense", "HybridSequential"});
}

TEST_CASE("an op hook sees every operator of the hybridized graph, its outputs and with monitor_all its inputs", "[gluon][block]") {
  nn::HybridSequential net = small_net();
  const NDArray x = nd::array(kX, Shape{2, 2});
  net.hybridize();
  std::vector<std::string> names;
  std::map<std::string, std::vector<float>> values;
  net.register_op_hook([&](const std::string& name, const std::string& op, const NDArray& array) {
    names.push_back(name + " " + op);
    values[name] = array.asnumpy<float>();
  });
  const std::vector<float> y = net(x).asnumpy<float>();
  CHECK(y == std::vector<float>{1.0f, 11.5f});
  CHECK_FALSE(net.cache_info().bulked);  // monitored graphs run operator by operator
  const std::string p = net.prefix();
  CHECK(names == std::vector<std::string>{p + "dense0_fwd_output FullyConnected", p + "dense0_relu_fwd_output Activation",
                                          p + "dense1_fwd_output FullyConnected"});
  CHECK(values[p + "dense0_fwd_output"] == std::vector<float>{-0.5f, 0, 2.5f, 3});
  CHECK(values[p + "dense0_relu_fwd_output"] == std::vector<float>{0, 0, 2.5f, 3});
  CHECK(values[p + "dense1_fwd_output"] == y);

  names.clear();
  net.register_op_hook([&](const std::string& name, const std::string&, const NDArray& array) {
    names.push_back(name);
    values[name] = array.asnumpy<float>();
  }, /*monitor_all=*/true);
  net(x);
  CHECK(names == std::vector<std::string>{p + "dense0_fwd_input0", p + "dense0_fwd_input1", p + "dense0_fwd_input2",
                                          p + "dense0_fwd_output", p + "dense0_relu_fwd_input0",
                                          p + "dense0_relu_fwd_output", p + "dense1_fwd_input0", p + "dense1_fwd_input1",
                                          p + "dense1_fwd_input2", p + "dense1_fwd_output"});
  CHECK(values[p + "dense0_fwd_input0"] == kX);                                   // the data
  CHECK(values[p + "dense0_fwd_input1"] == std::vector<float>{1, -1, 2, 1});      // the weight
  CHECK(values[p + "dense1_fwd_input0"] == std::vector<float>{0, 0, 2.5f, 3});    // the relu's output

  // Removed: the graph runs bulked again.
  net.register_op_hook({});
  names.clear();
  net(x).wait_to_read();
  CHECK(names.empty());
  CHECK(net.cache_info().bulked);
}
