#pragma once
// libtorch's side of the sparse benchmark; reports nothing when libtorch is not installed.
#include <cstdint>
#include <functional>
#include <vector>

namespace bench {

// A batch of sparse samples as CSR on the host, with a class per sample.
struct SparseBatch {
  std::int64_t features, classes, batch;
  std::vector<double> values;
  std::vector<std::int64_t> indices, indptr;
  std::vector<double> labels;
};

// The linear classifier of `b` in libtorch: nn::EmbeddingBag (mode sum, per-sample weights: the CSR product)
// plus a bias, cross entropy, optim::SGD, its table's gradient sparse or dense. Each call runs `iterations`
// steps on `threads` intra-op threads and returns seconds per step; empty when libtorch is not installed.
std::function<double()> torch_sparse_linear_pass(const SparseBatch& b, bool sparse_grad, int iterations, int threads);

// Token ids (batch, length) with a class per sequence, for an embedding table of `vocab` rows of `dim`.
struct TokenBatch {
  std::int64_t vocab, dim, classes, batch, length;
  std::vector<std::int64_t> tokens;
  std::vector<std::int64_t> labels;
};
// nn::Embedding (sparse or dense gradient), the mean over each sequence, nn::Linear to the classes, cross entropy,
// optim::SGD; as torch_sparse_linear_pass.
std::function<double()> torch_embedding_pass(const TokenBatch& b, bool sparse_grad, int iterations, int threads);

}  // namespace bench
