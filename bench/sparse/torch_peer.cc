// The sparse linear classifier in libtorch C++: EmbeddingBag's weighted sum is the CSR product.
#include "torch_peer.h"

#include <torch/torch.h>

#include <memory>

#include "../common/torch_timed_pass.h"

namespace bench {

std::function<double()> torch_sparse_linear_pass(const SparseBatch& b, bool sparse_grad, int iterations, int threads) {
  torch::manual_seed(0);
  struct State {
    torch::nn::EmbeddingBag table;
    torch::Tensor bias;
    std::unique_ptr<torch::optim::SGD> optimizer;
    torch::Tensor indices, offsets, weights, labels;
    State(const SparseBatch& b, bool sparse_grad)
        : table(torch::nn::EmbeddingBagOptions(b.features, b.classes).mode(torch::kSum).sparse(sparse_grad)) {
      bias = torch::zeros({b.classes}, torch::requires_grad());
      optimizer = std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{table->weight, bias},
                                                      torch::optim::SGDOptions(0.1));
      indices = torch::tensor(b.indices, torch::kLong);
      offsets = torch::tensor(std::vector<std::int64_t>(b.indptr.begin(), b.indptr.end() - 1), torch::kLong);
      weights = torch::tensor(std::vector<float>(b.values.begin(), b.values.end()));
      labels = torch::tensor(std::vector<std::int64_t>(b.labels.begin(), b.labels.end()), torch::kLong);
    }
    void step() {
      optimizer->zero_grad();
      auto logits = table->forward(indices, offsets, weights) + bias;
      auto loss = torch::nn::functional::cross_entropy(logits, labels);
      loss.backward();
      optimizer->step();
    }
  };
  return timed_pass(std::make_shared<State>(b, sparse_grad), iterations, threads);
}

std::function<double()> torch_embedding_pass(const TokenBatch& b, bool sparse_grad, int iterations, int threads) {
  torch::manual_seed(0);
  struct State {
    torch::nn::Embedding table;
    torch::nn::Linear classify;
    std::unique_ptr<torch::optim::SGD> optimizer;
    torch::Tensor tokens, labels;
    State(const TokenBatch& b, bool sparse_grad)
        : table(torch::nn::EmbeddingOptions(b.vocab, b.dim).sparse(sparse_grad)), classify(b.dim, b.classes) {
      std::vector<torch::Tensor> params = table->parameters();
      for (const auto& p : classify->parameters()) params.push_back(p);
      optimizer = std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(0.1));
      tokens = torch::tensor(b.tokens, torch::kLong).reshape({b.batch, b.length});
      labels = torch::tensor(b.labels, torch::kLong);
    }
    void step() {
      optimizer->zero_grad();
      auto logits = classify->forward(table->forward(tokens).mean(1));
      auto loss = torch::nn::functional::cross_entropy(logits, labels);
      loss.backward();
      optimizer->step();
    }
  };
  return timed_pass(std::make_shared<State>(b, sparse_grad), iterations, threads);
}

}  // namespace bench
