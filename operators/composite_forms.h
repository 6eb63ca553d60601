#pragma once
// The symbol forms of the functions built from several operators (symbolic.h's Composite): MXNet's attributes
// for their options. Their calls by name, which read the same attributes back, are registered next to these
// writers (composite_forms.cc), so the two directions stay one list.
#include <cstdint>
#include <string_view>
#include <vector>

#include <mx/operators/activations.h>
#include <mx/operators/convolution.h>
#include <mx/operators/normalization.h>
#include <mx/operators/rnn.h>
#include <mx/operators/symbolic.h>

namespace mx::op::forms {

Attrs convolution(const nd::ConvShape& shape, std::int64_t num_filter, std::int64_t num_group, bool no_bias);
Attrs deconvolution(const nd::ConvShape& shape, std::int64_t num_filter, std::int64_t num_group, bool no_bias,
                    const std::vector<std::int64_t>& adj);
Attrs pooling(const nd::ConvShape& shape, const nd::PoolOptions& options, int spatial_axes);
Attrs batch_norm(const nd::BatchNormOptions& options);
Attrs activation(std::string_view act_type);
Attrs leaky_relu(std::string_view act_type, double slope);
Attrs dropout(double p, nd::DropoutMode mode, const std::vector<int>& axes = {});
Attrs layer_norm(int axis, double eps);
Attrs instance_norm(double eps);
Attrs embedding(std::int64_t input_dim, std::int64_t output_dim, DType dtype);
Attrs reshape(const Shape& shape);
Attrs rnn(const nd::RNNOptions& options, bool use_sequence_length);
// And back: an RNN node's options; mx::Error naming RNN for attributes it does not understand.
struct RNNNode {
  nd::RNNOptions options;
  bool use_sequence_length = false;
};
RNNNode read_rnn(const Attrs& attrs);

}  // namespace mx::op::forms

namespace mx::op {
// Registers the composites' calls by name and MXNet's other spellings; find_symbol_op runs it once.
void register_composite_forms();
// find_symbol_op without that first registration.
const SymbolOp* find_registered_symbol_op(const std::string& name);
}  // namespace mx::op
