// The model zoo: parameter counts of the published architectures, MXNet's names, output shapes, and a parameter
// file written from one zoo network reloading into a fresh one. Shapes come from tracing (no computation) except
// for the small networks run for real.
#include <catch2/catch.hpp>

#include <filesystem>

#include <mx/mx.h>

#include "../operators/test_util.h"

using namespace mx;
using Catch::Matchers::Contains;
namespace vision = gluon::model_zoo::vision;

namespace {

std::int64_t trainable_parameters(const gluon::Block& net) {
  std::int64_t total = 0;
  for (const auto& [name, p] : net.collect_params()) {
    if (p.grad_req() != GradReq::kNull) total += p.shape().size();
  }
  return total;
}

Shape traced_output(const vision::Model& net, std::int64_t size) {
  net->initialize(init::Zero());  // counting needs shapes, not values: the cheapest initializer
  return net->infer_shape(NDArray(Shape{1, 3, size, size}));
}

}  // namespace

TEST_CASE("zoo networks have the published parameter counts", "[model_zoo]") {
  struct Expected {
    const char* name;
    std::int64_t size;
    std::int64_t parameters;
  };
  // MXNet's ResNet-50 v1 gives the 1x1 convolutions of its bottlenecks biases (18,880 more than the paper's
  // 25,557,032); its files carry them, so ours does too.
  for (const Expected& e : {Expected{"alexnet", 224, 61'100'840}, Expected{"vgg16", 224, 138'357'544},
                            Expected{"vgg11_bn", 224, 132'868'840}, Expected{"resnet18_v1", 224, 11'689'512},
                            Expected{"resnet34_v1", 224, 21'797'672}, Expected{"resnet50_v1", 224, 25'575'912},
                            Expected{"resnet50_v1b", 224, 25'557'032}, Expected{"resnet18_v1b", 224, 11'689'512},
                            Expected{"resnet101_v1b", 224, 44'549'160},
                            Expected{"densenet121", 224, 7'978'856}, Expected{"squeezenet1.0", 224, 1'248'424},
                            Expected{"squeezenet1.1", 224, 1'235'496}, Expected{"mobilenet1.0", 224, 4'231'976}}) {
    INFO(e.name);
    const vision::Model net = vision::get_model(e.name);
    CHECK(traced_output(net, e.size) == Shape{1, 1000});
    CHECK(trainable_parameters(*net) == e.parameters);
  }
}

TEST_CASE("every zoo network gives (1, classes) at its input size, and has a symbol form", "[model_zoo]") {
  for (const std::string& name : vision::list_models()) {
    INFO(name);
    const vision::Model net = vision::get_model(name, {.classes = 10});
    // The smallest input each takes: fixed final pools need 224 (DenseNet, SqueezeNet) or 299 (Inception); the
    // rest end in a global pool or a Dense that learns its input size.
    const bool fixed_pool = name.rfind("densenet", 0) == 0 || name.rfind("squeezenet", 0) == 0;
    const std::int64_t size = name == "inceptionv3" ? 299 : fixed_pool ? 224 : 64;
    CHECK(traced_output(net, size) == Shape{1, 10});
    // Every operator of the network has MXNet's form (export would write it): one variable per parameter.
    const sym::Symbol symbol = (*net)(sym::var("data", {.shape = Shape{1, 3, size, size}}));
    CHECK(symbol.list_inputs().size() == net->collect_params().size() + 1);
  }
  CHECK_THROWS_WITH(vision::get_model("resnet19_v1"), Contains("resnet19_v1") && Contains("resnet18_v1"));
}

TEST_CASE("resnet v1b strides in the bottleneck's 3x3 convolution, v1 in its first 1x1", "[model_zoo]") {
  // The attributes of a convolution node in the network's symbol JSON.
  auto attrs_of = [](const std::string& model, const std::string& node) {
    const vision::Model net = vision::get_model(model, {.prefix = "net_"});  // names independent of other networks
    net->initialize(init::Zero());
    const std::string json = (*net)(sym::var("data", {.shape = Shape{1, 3, 224, 224}})).tojson();
    const std::size_t at = json.find("\"" + node + "\"");
    REQUIRE(at != std::string::npos);
    return json.substr(at, json.find('}', at) - at);
  };
  const auto no_stride = Contains("\"stride\": \"(1, 1)\""), stride_2 = Contains("\"stride\": \"(2, 2)\"");
  CHECK_THAT(attrs_of("resnet50_v1b", "net_stage2_conv0_fwd"), no_stride && Contains("\"no_bias\": \"True\""));
  CHECK_THAT(attrs_of("resnet50_v1b", "net_stage2_conv1_fwd"), stride_2);
  CHECK_THAT(attrs_of("resnet50_v1", "net_stage2_conv0_fwd"), stride_2 && Contains("\"no_bias\": \"False\""));
  CHECK_THAT(attrs_of("resnet50_v1", "net_stage2_conv1_fwd"), no_stride);
  CHECK_THROWS_WITH(vision::get_model("resnet50_v2b"), Contains("resnet50_v1b"));
}

TEST_CASE("zoo parameters carry MXNet's names", "[model_zoo]") {
  const vision::Model net = vision::resnet(1, 18, {.prefix = "model_"});
  traced_output(net, 64);
  const auto params = net->collect_params();
  for (const char* name : {"model_conv0_weight", "model_batchnorm0_gamma", "model_stage1_conv0_weight",
                           "model_stage1_batchnorm1_running_var", "model_stage2_conv2_weight", "model_dense0_weight",
                           "model_dense0_bias"}) {
    INFO(name);
    CHECK(params.contains(name));
  }
  CHECK(gluon::ParameterDict(params)["model_stage2_conv2_weight"].shape() == Shape{128, 64, 1, 1});  // downsample
  const vision::Model v2 = vision::mobilenet_v2(0.25, {.prefix = "m_"});
  traced_output(v2, 64);
  CHECK(v2->collect_params().contains("m_output_pred_weight"));
  CHECK(v2->collect_params().contains("m_features_linearbottleneck0_conv0_weight"));
}

TEST_CASE("small zoo networks run, imperative and hybridized alike", "[model_zoo]") {
  for (const char* name : {"squeezenet1.1", "mobilenet0.25", "resnet18_v1"}) {
    INFO(name);
    const vision::Model net = vision::get_model(name, {.classes = 7});
    net->initialize(init::Xavier());
    const NDArray x = nd::random::uniform(0, 1, {1, 3, 224, 224});
    const NDArray imperative = net->forward(x);
    CHECK(imperative.shape() == Shape{1, 7});
    net->hybridize();
    const std::vector<float> a = imperative.asnumpy<float>(), b = (*net)(x).asnumpy<float>();
    for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).epsilon(1e-4).margin(1e-5));
  }
}

TEST_CASE("the seed's feature extractor: a SymbolBlock from alexnet's internals", "[model_zoo]") {
  const vision::Model alexnet = vision::get_model("alexnet", {.classes = 10, .prefix = "model_"});
  alexnet->initialize(init::Xavier());
  auto out = (*alexnet)(sym::var("data", {.shape = Shape{1, 3, 224, 224}}));
  auto internals = out.get_internals();
  gluon::SymbolBlock features(internals["model_dense0_relu_fwd_output"], {sym::var("data")}, alexnet->collect_params());
  CHECK(features.collect_params().size() == 12);  // five convolutions and a dense layer, weight and bias each
  // The same as alexnet's layers run one by one up to its first Dense (with its relu).
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 224, 224});
  NDArray expected = x;
  for (const auto& [name, child] : alexnet->children().front().second->children()) {
    expected = (*child)(expected);
    if (child->prefix() == "model_dense0_") break;
  }
  const std::vector<float> a = expected.asnumpy<float>(), b = features(x).asnumpy<float>();
  REQUIRE(b.size() == 4096);
  for (std::size_t i = 0; i < a.size(); ++i) CHECK(b[i] == Approx(a[i]).epsilon(1e-4).margin(1e-5));
}

TEST_CASE("a zoo network exports and imports with the same outputs", "[model_zoo]") {
  const vision::Model net = vision::get_model("resnet18_v1", {.classes = 5});
  net->initialize(init::Xavier());
  net->hybridize();
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 64, 64});
  const std::vector<float> expected = (*net)(x).asnumpy<float>();
  const std::string path = (std::filesystem::temp_directory_path() / "mxpp_zoo_resnet18").string();
  net->export_(path);
  auto loaded = gluon::SymbolBlock::imports(path + "-symbol.json", {"data"}, path + "-0000.params");
  CHECK(loaded->symbol().list_auxiliary_states().size() == 2 * 20);  // 20 BatchNorms' running mean and var
  const std::vector<float> got = (*loaded)(x).asnumpy<float>();
  for (std::size_t i = 0; i < got.size(); ++i) CHECK(got[i] == Approx(expected[i]).epsilon(1e-4).margin(1e-5));
  std::filesystem::remove(path + "-symbol.json");
  std::filesystem::remove(path + "-0000.params");
}

TEST_CASE("a zoo network's parameter file reloads by name, pretrained files are looked up in root", "[model_zoo]") {
  const auto dir = std::filesystem::temp_directory_path() / "mxpp_zoo_models";
  std::filesystem::create_directories(dir);
  const vision::Model source = vision::get_model("mobilenet0.25", {.classes = 5});
  source->initialize(init::Xavier());
  const NDArray x = nd::random::uniform(0, 1, {1, 3, 64, 64});
  const std::vector<float> expected = (*source)(x).asnumpy<float>();
  const std::string path = (dir / "mobilenet0.25-0123abcd.params").string();
  source->save_parameters(path);
  const vision::Model fresh = vision::get_model("mobilenet0.25", {.classes = 5});
  fresh->load_parameters(path);
  CHECK((*fresh)(x).asnumpy<float>() == expected);
  // MXNet's model store names files <name>-<hash>.params.
  const vision::Model pretrained =
      vision::get_model("mobilenet0.25", {.pretrained = true, .root = dir.string(), .classes = 5});
  CHECK((*pretrained)(x).asnumpy<float>() == expected);
  CHECK_THROWS_WITH(vision::get_model("alexnet", {.pretrained = true, .root = dir.string()}),
                    Contains("alexnet.params") && Contains(dir.string()));
  std::filesystem::remove_all(dir);
}

TEST_CASE("infer_shape gives an exported zoo network's parameters their shapes from the data's alone", "[model_zoo]") {
  const vision::Model net = vision::resnet(1, 18, {.prefix = "zoo_"});
  traced_output(net, 224);
  // Read back from its JSON, as an exported file reads: only the data's variable carries a shape.
  const sym::Symbol symbol = sym::load_json((*net)(sym::var("data", {.shape = Shape{1, 3, 224, 224}})).tojson());
  for (const auto& node : symbol.topological_nodes()) {
    if (node->is_variable() && node->name != "data") REQUIRE_FALSE(node->attrs.contains("__shape__"));
  }
  const sym::InferredShapes inferred = symbol.infer_shape({{"data", {8, 3, 224, 224}}});
  CHECK(inferred.out_shapes == std::vector<Shape>{{8, 1000}});
  gluon::ParameterDict params(net->collect_params());
  const std::vector<std::string> arguments = symbol.list_arguments(), auxiliary = symbol.list_auxiliary_states();
  std::int64_t total = 0;
  for (std::size_t i = 1; i < arguments.size(); ++i) {
    INFO(arguments[i]);
    CHECK(inferred.arg_shapes[i] == params[arguments[i]].shape());
    total += inferred.arg_shapes[i].size();
  }
  CHECK(total == 11'689'512);  // ResNet-18's published count
  for (std::size_t i = 0; i < auxiliary.size(); ++i) CHECK(inferred.aux_shapes[i] == params[auxiliary[i]].shape());
}
