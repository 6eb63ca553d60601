#pragma once
// Gluon's contrib PixelShuffle1D, 2D and 3D (sub-pixel upsampling, Shi et al.): (N, C f1 ... fk, s1, ..., sk)
// to (N, C, s1 f1, ..., sk fk), channel c f1...fk + (i1 ... ik) going to offset (i1, ..., ik) within each
// output block, as MXNet's (a reshape, a transpose and a reshape; hybridizes and exports as those).
#include <cstdint>
#include <utility>
#include <vector>

#include <mx/gluon/block.h>

namespace mx::gluon::contrib::nn {

class PixelShuffle : public HybridBlock {
 public:
  NDArray forward(const NDArray& x) override;
  std::string repr() const override;

 protected:
  // `name` "PixelShuffle2D", for messages; blocks are named by its lower-case alias ("pixelshuffle2d0_").
  PixelShuffle(std::vector<std::int64_t> factors, std::size_t axes, const char* name, Prefix prefix);

 private:
  std::vector<std::int64_t> factors_;
  const char* name_;
};

class PixelShuffle1D : public PixelShuffle {
 public:
  explicit PixelShuffle1D(std::int64_t factor, Prefix prefix = std::nullopt);
};

class PixelShuffle2D : public PixelShuffle {
 public:
  explicit PixelShuffle2D(std::int64_t factor, Prefix prefix = std::nullopt) : PixelShuffle2D({factor, factor}, std::move(prefix)) {}
  explicit PixelShuffle2D(std::pair<std::int64_t, std::int64_t> factors, Prefix prefix = std::nullopt);
};

class PixelShuffle3D : public PixelShuffle {
 public:
  explicit PixelShuffle3D(std::int64_t factor, Prefix prefix = std::nullopt)
      : PixelShuffle3D({factor, factor, factor}, std::move(prefix)) {}
  explicit PixelShuffle3D(std::vector<std::int64_t> factors, Prefix prefix = std::nullopt);
};

}  // namespace mx::gluon::contrib::nn
