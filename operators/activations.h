#pragma once
// Activations and Dropout for the Gluon layers, as MXNet's Activation, LeakyReLU and Dropout operators.
#include <optional>
#include <string_view>

#include <mx/ndarray/ndarray.h>

namespace mx::nd {

// act_type: "relu", "sigmoid", "tanh", "softrelu" (log(1 + e^x)), "softsign" (x / (1 + |x|)), "log_sigmoid"
// (log(1 / (1 + e^-x))) or "mish" (x tanh(softrelu(x))).
NDArray Activation(const NDArray& x, std::string_view act_type);
// max(0, min(1, alpha x + beta)), MXNet's hard_sigmoid (MobileNetV3's with alpha 1/6).
NDArray hard_sigmoid(const NDArray& x, double alpha = 0.2, double beta = 0.5);
// act_type: "leaky" (slope x below 0), "prelu" (gamma, one per channel on axis 1, learned), "elu"
// (slope (e^x - 1) below 0), "selu" or "gelu" (the exact, erf form).
NDArray LeakyReLU(const NDArray& x, std::string_view act_type = "leaky", double slope = 0.25,
                  const std::optional<NDArray>& gamma = std::nullopt);

enum class DropoutMode { kTraining, kAlways };
// Zeroes each element with probability p and scales the rest by 1 / (1 - p), in training mode (autograd's
// record or train_mode) or always; otherwise x itself. The mask is drawn from mx::random's stream and the
// gradient reuses it. Along `axes` one draw is shared (MXNet's axes: variational dropout, the same units
// dropped at every time step with axes {1} of (N, T, C)).
NDArray Dropout(const NDArray& x, double p = 0.5, DropoutMode mode = DropoutMode::kTraining, std::vector<int> axes = {});

}  // namespace mx::nd
