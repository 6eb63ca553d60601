#pragma once
// Gluon's vision transforms, as blocks (so they also go into a Sequential) and callables for
// Dataset::transform_first:
//
//   auto trans = Compose({ToTensor(), Normalize(0.13f, 0.31f)});
//   dataset.transform_first(trans);
#include <vector>

#include <mx/gluon/block.h>
#include <mx/gluon/data/dataset.h>

namespace mx::gluon::data::vision::transforms {

// (H, W, C) uint8 (or a batch (N, H, W, C)) to float32 (C, H, W) in [0, 1].
class ToTensor : public HybridBlock {
 public:
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "ToTensor"; }
};

// (x - mean) / std per channel of (C, H, W) (or (N, C, H, W)); one value applies to every channel.
class Normalize : public HybridBlock {
 public:
  Normalize(double mean, double std) : Normalize(std::vector<double>{mean}, std::vector<double>{std}) {}
  Normalize(std::vector<double> mean, std::vector<double> std);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Normalize"; }

 private:
  std::vector<double> mean_, std_;
};

// Converts to `dtype`.
class Cast : public HybridBlock {
 public:
  explicit Cast(DType dtype = DType::kFloat32) : dtype_(dtype) {}
  NDArray forward(const NDArray& x) override { return x.astype(dtype_); }
  std::string repr() const override { return "Cast"; }

 private:
  DType dtype_;
};

// The transforms applied in order.
class Compose : public Block {
 public:
  explicit Compose(std::vector<Transform> transforms);
  NDArray forward(const NDArray& x) override;
  std::string repr() const override { return "Compose"; }

 private:
  std::vector<Transform> transforms_;
};

}  // namespace mx::gluon::data::vision::transforms
