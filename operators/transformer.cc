#include <mx/operators/transformer.h>

#include <cmath>

#include <mx/ndarray/error.h>
#include <mx/operators/dot.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/shape_ops.h>
#include <mx/operators/symbolic.h>

namespace mx::nd::contrib {
namespace {

// (seq, batch, heads * parts * head_dim) checked: its head_dim.
std::int64_t head_dim_of(const char* op, const char* name, const NDArray& x, int parts, int heads) {
  if (heads <= 0) throw Error(std::string(op) + ": heads must be positive, got " + std::to_string(heads));
  if (x.ndim() != 3 || x.shape()[2] % (parts * heads) != 0) {
    throw ShapeError(std::string(op) + ": " + name + " must be (seq, batch, heads * " + std::to_string(parts) +
                     " * head_dim) with heads " + std::to_string(heads) + ", got " + x.shape().str());
  }
  return x.shape()[2] / (parts * heads);
}

// Part `which` of every head as attention batches: (batch * heads, seq, head_dim).
NDArray project(const NDArray& x, int parts, int which, int heads, std::int64_t head_dim) {
  const std::int64_t seq = x.shape()[0], batch = x.shape()[1];
  const NDArray part = slice_axis(x.reshape({seq, batch, heads, parts, head_dim}), 3, which, which + 1);
  return transpose(part.reshape({seq, batch, heads, head_dim}), {1, 2, 0, 3}).reshape({batch * heads, seq, head_dim});
}

// Attention batches (batch * heads, seq, head_dim) back to (seq, batch, heads * head_dim).
NDArray interleave(const NDArray& y, int heads) {
  const std::int64_t seq = y.shape()[1], head_dim = y.shape()[2], batch = y.shape()[0] / heads;
  return transpose(y.reshape({batch, heads, seq, head_dim}), {2, 0, 1, 3}).reshape({seq, batch, heads * head_dim});
}

// attention (batch * heads, query seq, key seq); query_seq < 0 takes any.
void check_attention(const char* op, const NDArray& attention, std::int64_t batches, std::int64_t query_seq, std::int64_t key_seq) {
  const Shape& s = attention.shape();
  if (s.ndim() != 3 || s[0] != batches || (query_seq >= 0 && s[1] != query_seq) || s[2] != key_seq) {
    throw ShapeError(std::string(op) + ": attention must be (batch * heads, query seq, key seq) = (" + std::to_string(batches) + ", " +
                     (query_seq >= 0 ? std::to_string(query_seq) : std::string("any")) + ", " + std::to_string(key_seq) + "), got " +
                     s.str());
  }
}

NDArray finish(op::Composite& node, int heads, const NDArray& y) {
  return node.active() ? node.finish({{"heads", op::attr_string(heads)}}, y) : y;
}

// q . k over sqrt(head_dim) for attention batches q and k (batch * heads, seq, head_dim): the node's output.
NDArray scaled_scores(op::Composite& node, int heads, const NDArray& q, const NDArray& k) {
  return finish(node, heads, batch_dot(q / std::sqrt(static_cast<double>(q.shape()[2])), k, false, true));
}

// `attention` applied to the last of each head's `parts` in `values` (queries, keys and values of a self-attention,
// keys and values of an encoder-decoder's), as the node `op`.
NDArray weighted_values(const char* op, const NDArray& values, int parts, const NDArray& attention, int heads) {
  const bool self = parts == 3;
  const std::int64_t head_dim = head_dim_of(op, self ? "queries_keys_values" : "keys_values", values, parts, heads);
  const std::int64_t seq = values.shape()[0], batch = values.shape()[1];
  check_attention(op, attention, batch * heads, self ? seq : -1, seq);
  op::Composite node(op, {values, attention});
  return finish(node, heads, interleave(batch_dot(attention, project(values, parts, parts - 1, heads, head_dim)), heads));
}

// The symbol forms: the inputs in MXNet's order, the heads attribute.
template <class Call>
op::SymbolOp form(Call call, std::vector<std::string> inputs) {
  op::SymbolOp form;
  const std::size_t count = inputs.size();
  form.input_names = std::move(inputs);
  form.call = [call, count](const op::Attrs& attrs, std::span<const NDArray> in) -> std::vector<NDArray> {
    op::AttrReader reader("interleaved_matmul", attrs);
    int heads = 0;
    reader.read("heads", heads);
    reader.finish();
    if (in.size() != count) throw Error("interleaved_matmul: takes " + std::to_string(count) + " inputs, got " + std::to_string(in.size()));
    return {call(in, heads)};
  };
  return form;
}

const bool kSymbolRegistered = [] {
  op::SymbolOp div;
  div.input_names = {"data"};
  div.call = [](const op::Attrs& attrs, std::span<const NDArray> in) -> std::vector<NDArray> {
    op::AttrReader("_contrib_div_sqrt_dim", attrs).finish();
    if (in.size() != 1) throw Error("_contrib_div_sqrt_dim: takes 1 input, got " + std::to_string(in.size()));
    return {div_sqrt_dim(in[0])};
  };
  op::register_symbol_op("_contrib_div_sqrt_dim", std::move(div));
  op::register_symbol_op("_contrib_interleaved_matmul_selfatt_qk",
                         form([](std::span<const NDArray> in, int h) { return interleaved_matmul_selfatt_qk(in[0], h); },
                              {"queries_keys_values"}));
  op::register_symbol_op("_contrib_interleaved_matmul_selfatt_valatt",
                         form([](std::span<const NDArray> in, int h) { return interleaved_matmul_selfatt_valatt(in[0], in[1], h); },
                              {"queries_keys_values", "attention"}));
  op::register_symbol_op("_contrib_interleaved_matmul_encdec_qk",
                         form([](std::span<const NDArray> in, int h) { return interleaved_matmul_encdec_qk(in[0], in[1], h); },
                              {"queries", "keys_values"}));
  op::register_symbol_op("_contrib_interleaved_matmul_encdec_valatt",
                         form([](std::span<const NDArray> in, int h) { return interleaved_matmul_encdec_valatt(in[0], in[1], h); },
                              {"keys_values", "attention"}));
  return true;
}();

}  // namespace

NDArray div_sqrt_dim(const NDArray& x) {
  if (x.ndim() == 0) throw ShapeError("div_sqrt_dim: needs at least one axis, got a scalar");
  op::Composite node("_contrib_div_sqrt_dim", {x});
  const NDArray y = x / std::sqrt(static_cast<double>(x.shape()[x.ndim() - 1]));
  return node.active() ? node.finish({}, y) : y;
}

NDArray interleaved_matmul_selfatt_qk(const NDArray& queries_keys_values, int heads) {
  constexpr const char* kOp = "_contrib_interleaved_matmul_selfatt_qk";
  const std::int64_t head_dim = head_dim_of(kOp, "queries_keys_values", queries_keys_values, 3, heads);
  op::Composite node(kOp, {queries_keys_values});
  return scaled_scores(node, heads, project(queries_keys_values, 3, 0, heads, head_dim), project(queries_keys_values, 3, 1, heads, head_dim));
}

NDArray interleaved_matmul_selfatt_valatt(const NDArray& queries_keys_values, const NDArray& attention, int heads) {
  return weighted_values("_contrib_interleaved_matmul_selfatt_valatt", queries_keys_values, 3, attention, heads);
}

NDArray interleaved_matmul_encdec_qk(const NDArray& queries, const NDArray& keys_values, int heads) {
  constexpr const char* kOp = "_contrib_interleaved_matmul_encdec_qk";
  const std::int64_t head_dim = head_dim_of(kOp, "queries", queries, 1, heads);
  if (head_dim_of(kOp, "keys_values", keys_values, 2, heads) != head_dim || keys_values.shape()[1] != queries.shape()[1]) {
    throw ShapeError(std::string(kOp) + ": keys_values " + keys_values.shape().str() + " must hold twice the features of queries " +
                     queries.shape().str() + " for as many sequences");
  }
  op::Composite node(kOp, {queries, keys_values});
  return scaled_scores(node, heads, project(queries, 1, 0, heads, head_dim), project(keys_values, 2, 0, heads, head_dim));
}

NDArray interleaved_matmul_encdec_valatt(const NDArray& keys_values, const NDArray& attention, int heads) {
  return weighted_values("_contrib_interleaved_matmul_encdec_valatt", keys_values, 2, attention, heads);
}

}  // namespace mx::nd::contrib
