#pragma once
// Gluon's convolutional recurrent cells (gluon.contrib.rnn: Conv1D/2D/3D RNN, LSTM and GRU cells; Shi et al.,
// "Convolutional LSTM Network"): the gated cells' equations with each product a convolution, so that inputs and
// states are feature maps. A step's input is (N, *input_shape), input_shape being (C, W), (C, H, W) or
// (C, D, H, W); the states are (N, hidden_channels, *out) with out the input convolution's output size (stride
// 1); the recurrent convolution keeps that size (its kernel must be odd; it pads dilate * (kernel - 1) / 2).
//
//   contrib::rnn::Conv2DLSTMCell cell({3, 16, 16}, 8, {3}, {3}, {.i2h_pad = {1}});
//   cell.initialize();
//   auto [outs, last] = cell.unroll(10, frames, {}, "NTC");   // frames (N, 10, 3, 16, 16) -> (N, 10, 8, 16, 16)
//
// Parameters as MXNet names them: i2h_weight (G*H, C, *i2h_kernel), h2h_weight (G*H, H, *h2h_kernel), i2h_bias
// and h2h_bias (G*H), under the prefixes conv_rnn, conv_lstm and conv_gru. Channel-first layouts (NCW, NCHW,
// NCDHW), those of mxpp's convolutions. `activation` (any act_type of Activation) replaces tanh: the RNN cell's
// output, the LSTM's candidate and output, the GRU's candidate.
#include <cstdint>
#include <string>
#include <vector>

#include <mx/gluon/rnn/rnn_cell.h>
#include <mx/operators/convolution.h>

namespace mx::gluon::contrib::rnn {

struct ConvCellOptions {
  // One value per spatial axis, or one for all of them; empty: 0 (pad) and 1 (dilate).
  std::vector<std::int64_t> i2h_pad = {};
  std::vector<std::int64_t> i2h_dilate = {};
  std::vector<std::int64_t> h2h_dilate = {};
  init::InitializerRef i2h_weight_initializer{};  // empty: the one given to initialize()
  init::InitializerRef h2h_weight_initializer{};
  init::InitializerRef i2h_bias_initializer = init::Zero();
  init::InitializerRef h2h_bias_initializer = init::Zero();
  std::string conv_layout = "";  // empty: NCW, NCHW or NCDHW by the cell's dimension
  std::string activation = "tanh";
  Prefix prefix{};
};

class ConvRecurrentCell : public gluon::rnn::BaseCell {
 public:
  using BaseCell::operator();
  gluon::rnn::RecurrentOutput step(const NDArray& x, const std::vector<NDArray>& states) override;
  NDArray forward(const NDArray& x) override;
  std::vector<NDArray> begin_state(std::int64_t batch_size, Context ctx = current_context()) const override;
  std::size_t num_states() const override { return static_cast<std::size_t>(nd::recurrent::state_count(kind_)); }
  // (hidden_channels, *out): a state without its batch axis.
  const Shape& state_shape() const { return state_shape_; }
  std::string repr() const override;

 protected:
  // `dims` spatial axes; kernels (and the options' lists) hold one value per axis or one for all.
  ConvRecurrentCell(nd::recurrent::CellKind kind, int dims, Shape input_shape,
                    std::int64_t hidden_channels, std::vector<std::int64_t> i2h_kernel,
                    std::vector<std::int64_t> h2h_kernel, ConvCellOptions options);

 private:
  void check_step(const NDArray& x, const std::vector<NDArray>& states) const;

  nd::recurrent::CellKind kind_;
  std::string name_, layout_, activation_;  // name_: "Conv2DLSTMCell", for messages and repr
  Shape input_shape_, state_shape_;
  std::int64_t hidden_channels_;
  nd::ConvShape i2h_conv_, h2h_conv_;
  Parameter i2h_weight_, h2h_weight_, i2h_bias_, h2h_bias_;
};

// MXNet's nine classes, Conv1DRNNCell to Conv3DGRUCell: (input_shape, hidden_channels, i2h_kernel, h2h_kernel,
// options).
template <nd::recurrent::CellKind Kind, int Dims>
class ConvCell : public ConvRecurrentCell {
 public:
  ConvCell(Shape input_shape, std::int64_t hidden_channels, std::vector<std::int64_t> i2h_kernel,
           std::vector<std::int64_t> h2h_kernel, ConvCellOptions options = {})
      : ConvRecurrentCell(Kind, Dims, std::move(input_shape), hidden_channels, std::move(i2h_kernel),
                          std::move(h2h_kernel), std::move(options)) {}
};
using Conv1DRNNCell = ConvCell<nd::recurrent::CellKind::kRNNTanh, 1>;
using Conv2DRNNCell = ConvCell<nd::recurrent::CellKind::kRNNTanh, 2>;
using Conv3DRNNCell = ConvCell<nd::recurrent::CellKind::kRNNTanh, 3>;
using Conv1DLSTMCell = ConvCell<nd::recurrent::CellKind::kLSTM, 1>;
using Conv2DLSTMCell = ConvCell<nd::recurrent::CellKind::kLSTM, 2>;
using Conv3DLSTMCell = ConvCell<nd::recurrent::CellKind::kLSTM, 3>;
using Conv1DGRUCell = ConvCell<nd::recurrent::CellKind::kGRU, 1>;
using Conv2DGRUCell = ConvCell<nd::recurrent::CellKind::kGRU, 2>;
using Conv3DGRUCell = ConvCell<nd::recurrent::CellKind::kGRU, 3>;

}  // namespace mx::gluon::contrib::rnn
