#pragma once
// Gluon's small layers: Dropout, Flatten, Identity, Lambda, HybridLambda, Embedding and ReflectionPad2D.
#include <functional>
#include <string>

#include <mx/gluon/block.h>

namespace mx::gluon::nn {

// Zeroes elements with probability `rate` in training mode (autograd's record or train_mode), scaling the rest
// by 1 / (1 - rate); the identity when predicting. Any shape.
class Dropout : public HybridBlock {
 public:
  explicit Dropout(double rate, Prefix prefix = std::nullopt) : Dropout(rate, {}, std::move(prefix)) {}
  // One draw shared along `axes` (MXNet's Dropout(rate, axes)).
  Dropout(double rate, std::vector<int> axes, Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 private:
  double rate_;
  std::vector<int> axes_;
};

// (N, a, b, ...) to (N, a * b * ...).
class Flatten : public HybridBlock {
 public:
  explicit Flatten(Prefix prefix = std::nullopt) : HybridBlock("flatten", std::move(prefix)) {}
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Flatten"; }
};

class Identity : public HybridBlock {
 public:
  explicit Identity(Prefix prefix = std::nullopt) : HybridBlock("identity", std::move(prefix)) {}
  NDArray forward(const NDArray& x) override { return x; }
  std::string repr() const override { return "Identity"; }
};

// A function of the input as a block (Gluon's Lambda and HybridLambda).
class Lambda : public Block {
 public:
  explicit Lambda(std::function<NDArray(const NDArray&)> fn, std::string name = "Lambda", Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override { return fn_(x); }
  std::string repr() const override { return name_; }

 private:
  std::function<NDArray(const NDArray&)> fn_;
  std::string name_;
};
class HybridLambda : public HybridBlock {
 public:
  explicit HybridLambda(std::function<NDArray(const NDArray&)> fn, std::string name = "HybridLambda",
                        Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override { return fn_(x); }
  std::string repr() const override { return name_; }

 private:
  std::function<NDArray(const NDArray&)> fn_;
  std::string name_;
};

// Rows of `weight` (input_dim, output_dim) at integer indices: (...) in, (..., output_dim) out. With
// sparse_grad (MXNet's), the weight's gradient is row sparse: only the rows the batch took, never a dense table.
class Embedding : public HybridBlock {
 public:
  Embedding(std::int64_t input_dim, std::int64_t output_dim, init::InitializerRef weight_initializer = {},
            DType dtype = DType::kFloat32, bool sparse_grad = false, Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;
  Parameter weight() const { return weight_; }

 private:
  Parameter weight_;
};

// (N, C, H, W) padded by `padding` rows and columns on each side with the values mirrored about the edge
// (NumPy's reflect): (N, C, H + 2p, W + 2p). padding must be below H and W.
class ReflectionPad2D : public HybridBlock {
 public:
  explicit ReflectionPad2D(std::int64_t padding = 0, Prefix prefix = std::nullopt);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "ReflectionPad2D(padding=" + std::to_string(padding_) + ")"; }

 private:
  std::int64_t padding_;
};

}  // namespace mx::gluon::nn
