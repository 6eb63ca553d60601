#pragma once
// MXNet's contrib operators for multi-head attention on interleaved projections (GluonNLP's BERT and
// Transformer run them): one projection gives, per position, sequence and head, the head's query, key and value
// one after the other, (seq, batch, heads * 3 * head_dim); an encoder-decoder's keys_values holds key and value,
// (seq, batch, heads * 2 * head_dim), its queries (seq, batch, heads * head_dim). Attention batches are numbered
// b * heads + h. Built from reshapes, slices, transposes and batch_dot: any device, differentiable, one node
// of MXNet's in symbol files.
#include <mx/ndarray/ndarray.h>

namespace mx::nd::contrib {

// x / sqrt(x.shape[-1]).
NDArray div_sqrt_dim(const NDArray& x);

// (batch * heads, seq, seq): each query against each key, over sqrt(head_dim).
NDArray interleaved_matmul_selfatt_qk(const NDArray& queries_keys_values, int heads);
// (seq, batch, heads * head_dim): `attention` (batch * heads, seq, seq) applied to the values.
NDArray interleaved_matmul_selfatt_valatt(const NDArray& queries_keys_values, const NDArray& attention, int heads);
// (batch * heads, query seq, key seq).
NDArray interleaved_matmul_encdec_qk(const NDArray& queries, const NDArray& keys_values, int heads);
// (query seq, batch, heads * head_dim) from attention (batch * heads, query seq, key seq).
NDArray interleaved_matmul_encdec_valatt(const NDArray& keys_values, const NDArray& attention, int heads);

}  // namespace mx::nd::contrib
