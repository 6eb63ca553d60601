#pragma once
// The trainable arrays of ResNet-50 as torchvision and most frameworks build it: 161 arrays, 25.6M values.
// MXNet's resnet50_v1 gives its bottlenecks' 1x1 convolutions biases too (32 arrays more, 0.05M values): left
// out. Shared by the all-reduce benchmarks (bench/kvstore, bench/gpu).
#include <string>
#include <vector>

#include <mx/gluon/model_zoo/vision.h>
#include <mx/mx.h>

namespace bench {

inline std::vector<mx::Shape> resnet50_gradient_shapes() {
  auto net = mx::gluon::model_zoo::vision::get_model("resnet50_v1");
  net->initialize(mx::init::Xavier());
  (*net)(mx::nd::zeros({1, 3, 224, 224}));
  std::vector<mx::Shape> shapes;
  for (const auto& [name, p] : net->collect_params()) {
    const bool convolution_bias = name.find("_conv") != std::string::npos && name.ends_with("_bias");
    if (p.grad_req() != mx::GradReq::kNull && !convolution_bias) shapes.push_back(p.shape());
  }
  return shapes;
}

}  // namespace bench
