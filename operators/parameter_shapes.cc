// MXNet's inference of a layer's parameters from its data (each operator's FInferShape run backwards): the
// shapes a symbol's weights must have, so that Symbol::infer_shape needs only the data's; and which of its
// inputs a layer's node takes, for the variables sym::invoke makes.
#include <algorithm>
#include <functional>
#include <unordered_map>

#include <mx/operators/composite_forms.h>
#include <mx/operators/rnn.h>
#include <mx/operators/symbolic.h>

namespace mx::op {
namespace {

using Inputs = std::vector<std::optional<Shape>>;
using Rule = std::function<void(AttrReader& attrs, Inputs& in)>;

void fill(Inputs& in, std::size_t index, const Shape& shape) {
  if (index < in.size() && !in[index]) in[index] = shape;
}

std::int64_t read_int(AttrReader& attrs, const char* key, std::int64_t fallback) {
  std::int64_t value = fallback;
  attrs.read(key, value);
  return value;
}

bool read_bool(AttrReader& attrs, const char* key, bool fallback) {
  bool value = fallback;
  attrs.read(key, value);
  return value;
}

// The channels of a channel-first layout, or nothing for another layout (whose weights are left to the caller).
std::optional<std::int64_t> channels_first(AttrReader& attrs, const Shape& data) {
  std::string layout = "None";
  attrs.read("layout", layout);
  if ((layout != "None" && layout.size() > 1 && layout[1] != 'C') || data.ndim() < 2) return std::nullopt;
  return data[1];
}

// Convolution's weight (num_filter, C / num_group, *kernel), Deconvolution's (C, num_filter / num_group, *kernel),
// and a bias of num_filter, at `weight` and the input after it.
void convolution_weights(AttrReader& attrs, Inputs& in, std::size_t weight, bool transposed) {
  const auto channels = channels_first(attrs, *in[0]);
  if (!channels) return;
  std::vector<std::int64_t> kernel;
  attrs.read("kernel", kernel);
  const std::int64_t num_filter = read_int(attrs, "num_filter", 0), groups = read_int(attrs, "num_group", 1);
  if (groups <= 0) return;
  Shape shape = transposed ? Shape{*channels, num_filter / groups} : Shape{num_filter, *channels / groups};
  for (std::int64_t k : kernel) shape.push_back(k);
  fill(in, weight, shape);
  if (!read_bool(attrs, "no_bias", transposed)) fill(in, weight + 1, Shape{num_filter});  // MXNet's defaults
}

// Every input after the data: (C,) for the channel on `axis`.
void per_channel(AttrReader& attrs, Inputs& in, std::int64_t axis) {
  attrs.read("axis", axis);
  const int ndim = in[0]->ndim();
  if (axis < 0) axis += ndim;
  if (axis < 0 || axis >= ndim) return;
  for (std::size_t i = 1; i < in.size(); ++i) fill(in, i, Shape{(*in[0])[static_cast<int>(axis)]});
}

// RNN over data (T, N, C): its packed parameters (rnn_param_size), its begin states (L*D, N, H) (h (L*D, N, P)
// with a projection; an LSTM's cell (L*D, N, H)) and, with use_sequence_length, the lengths (N,).
void rnn_inputs(const Attrs& attrs, Inputs& in) {
  const Shape& data = *in[0];
  if (data.ndim() != 3) return;
  const forms::RNNNode node = forms::read_rnn(attrs);
  const nd::RNNOptions& o = node.options;
  fill(in, 1, Shape{nd::rnn_param_size(o, data[2])});
  const std::int64_t layers = o.num_layers * (o.bidirectional ? 2 : 1);
  fill(in, 2, Shape{layers, data[1], o.projection_size.value_or(o.state_size)});
  const std::size_t states = o.mode == "lstm" ? 2 : 1;
  if (states == 2) fill(in, 3, Shape{layers, data[1], o.state_size});
  if (node.use_sequence_length) fill(in, 2 + states, Shape{data[1]});
}

void regression_label(AttrReader&, Inputs& in) {
  const Shape& data = *in[0];
  fill(in, 1, data.ndim() == 2 && data[1] == 1 ? Shape{data[0]} : data);
}

const std::unordered_map<std::string, Rule>& rules() {
  static const std::unordered_map<std::string, Rule> table = {
      {"FullyConnected",
       [](AttrReader& a, Inputs& in) {
         const Shape& data = *in[0];
         if (data.ndim() == 0) return;
         const std::int64_t hidden = read_int(a, "num_hidden", 0);
         std::int64_t features = data[data.ndim() - 1];
         if (read_bool(a, "flatten", true)) {
           features = 1;
           for (int axis = 1; axis < data.ndim(); ++axis) features *= data[axis];
         }
         fill(in, 1, Shape{hidden, features});
         if (!read_bool(a, "no_bias", false)) fill(in, 2, Shape{hidden});
       }},
      {"Convolution", [](AttrReader& a, Inputs& in) { convolution_weights(a, in, 1, false); }},
      {"Deconvolution", [](AttrReader& a, Inputs& in) { convolution_weights(a, in, 1, true); }},
      {"_contrib_DeformableConvolution", [](AttrReader& a, Inputs& in) { convolution_weights(a, in, 2, false); }},
      {"_contrib_ModulatedDeformableConvolution", [](AttrReader& a, Inputs& in) { convolution_weights(a, in, 3, false); }},
      {"BatchNorm", [](AttrReader& a, Inputs& in) { per_channel(a, in, 1); }},
      {"_contrib_SyncBatchNorm", [](AttrReader& a, Inputs& in) { per_channel(a, in, 1); }},
      {"InstanceNorm", [](AttrReader& a, Inputs& in) { per_channel(a, in, 1); }},
      {"LayerNorm", [](AttrReader& a, Inputs& in) { per_channel(a, in, -1); }},
      {"LeakyReLU", [](AttrReader& a, Inputs& in) { per_channel(a, in, 1); }},  // prelu's gamma
      {"Embedding",
       [](AttrReader& a, Inputs& in) { fill(in, 1, Shape{read_int(a, "input_dim", 0), read_int(a, "output_dim", 0)}); }},
      // The heads' labels: one class per row of scores, one target per prediction ((N,) for (N, 1)).
      {"SoftmaxOutput",
       [](AttrReader&, Inputs& in) {
         const Shape& data = *in[0];
         if (data.ndim() >= 2) fill(in, 1, Shape(std::vector<std::int64_t>(data.dims().begin(), data.dims().end() - 1)));
       }},
      {"RNN", [](AttrReader& a, Inputs& in) { rnn_inputs(a.attrs(), in); }},
      {"LinearRegressionOutput", &regression_label},
      {"LogisticRegressionOutput", &regression_label},
      {"MAERegressionOutput", &regression_label},
  };
  return table;
}

}  // namespace

void infer_input_shapes(const std::string& name, const Attrs& attrs, std::vector<std::optional<Shape>>& inputs) {
  const auto rule = rules().find(name);
  if (rule == rules().end() || inputs.empty() || !inputs[0]) return;
  AttrReader reader(name, attrs);
  rule->second(reader, inputs);
}

std::vector<std::string> symbol_input_names(const std::string& name, const Attrs& attrs) {
  const SymbolOp* form = find_symbol_op(name);
  if (form == nullptr) return {};
  std::vector<std::string> names = form->input_names;
  const auto drop = [&](const char* input) { std::erase(names, input); };
  AttrReader reader(name, attrs);
  if (read_bool(reader, "no_bias", name == "Deconvolution")) drop("bias");  // MXNet's defaults
  std::string kind;
  if (name == "LeakyReLU" && (reader.read("act_type", kind), kind != "prelu")) drop("gamma");
  if (name == "RNN") {
    reader.read("mode", kind);
    if (kind != "lstm") drop("state_cell");
    if (read_bool(reader, "use_sequence_length", false)) names.emplace_back("sequence_length");
  }
  return names;
}

}  // namespace mx::op
