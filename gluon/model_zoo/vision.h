#pragma once
// Gluon's model zoo (mxnet.gluon.model_zoo.vision): the same networks, built with MXNet 1.x's block structure and
// names, so that parameter files of MXNet's model zoo load into them with load_parameters.
//
//   auto net = gluon::model_zoo::vision::get_model("resnet18_v1", {.classes = 10});
//   net->initialize(init::Xavier());
//   net->hybridize();
//   NDArray y = (*net)(nd::random::uniform(0, 1, {1, 3, 224, 224}));  // (1, 10)
//
// pretrained reads `<name>.params`, or MXNet's `<name>-<hash>.params`, from `root` (default ~/.mxnet/models); a
// missing file is an mx::Error naming the file expected and where to put it.
#include <memory>
#include <string>
#include <vector>

#include <mx/gluon/block.h>

namespace mx::gluon::model_zoo::vision {

struct ModelOptions {
  bool pretrained = false;
  Context ctx = current_context();  // where pretrained parameters are loaded
  std::string root = "~/.mxnet/models";
  int classes = 1000;
  Prefix prefix;  // the network's MXNet prefix (the seed's prefix='model_')
};

using Model = std::shared_ptr<HybridBlock>;

// By MXNet's name: "alexnet", "vgg11" ... "vgg19_bn", "resnet18_v1" ... "resnet152_v2" (and GluonCV's
// "resnet18_v1b" ... "resnet152_v1b"), "densenet121" ...
// "densenet201", "squeezenet1.0", "squeezenet1.1", "inceptionv3", "mobilenet1.0" ... "mobilenet0.25",
// "mobilenetv2_1.0" ... "mobilenetv2_0.25". mx::Error listing them for an unknown name.
Model get_model(const std::string& name, const ModelOptions& options = {});
std::vector<std::string> list_models();

Model alexnet(const ModelOptions& options = {});
Model vgg(int num_layers, bool batch_norm, const ModelOptions& options = {});
Model resnet(int version, int num_layers, const ModelOptions& options = {});
// GluonCV's resnetNN_v1b, the ResNet of torchvision (its "v1.5"): as v1, with the bottleneck's stride in its 3x3
// convolution and no biases in its 1x1 convolutions (ResNet-50: 25,557,032 parameters). Its parameter names are
// this zoo's v1 names under the prefix resnetv1b, not GluonCV's.
Model resnet_v1b(int num_layers, const ModelOptions& options = {});
Model densenet(int num_layers, const ModelOptions& options = {});
Model squeezenet(const std::string& version, const ModelOptions& options = {});
Model inception_v3(const ModelOptions& options = {});
Model mobilenet(double multiplier, const ModelOptions& options = {});
Model mobilenet_v2(double multiplier, const ModelOptions& options = {});

namespace detail {
// The pretrained file for `name` under `root`; mx::Error naming it and the directory when it is not there.
std::string pretrained_file(const std::string& name, const std::string& root);
// Loads the pretrained file into `net` when asked to.
void maybe_load_pretrained(HybridBlock& net, const std::string& name, const ModelOptions& options);
}  // namespace detail

}  // namespace mx::gluon::model_zoo::vision
