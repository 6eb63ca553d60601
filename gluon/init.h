#pragma once
// Initializers, as MXNet's mx.init: net.initialize(init::Xavier()) fills every parameter that has no initializer
// of its own, choosing by the parameter's name as MXNet does (weights by the initializer; biases, betas and
// moving means zero; gammas and moving variances one). A parameter's own initializer (Dense's
// weight_initializer, ...) fills it whatever its name.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <mx/ndarray/ndarray.h>

namespace mx::init {

class Initializer {
 public:
  virtual ~Initializer() = default;
  // Fills `array`, the parameter `name`, by MXNet's name rules.
  virtual void operator()(const std::string& name, NDArray& array) const;
  // Fills `array` as a weight (also how a parameter's own initializer is applied).
  virtual void init_weight(const std::string& name, NDArray& array) const = 0;
  // "Xavier(rnd_type=uniform, factor_type=avg, magnitude=3)", for summaries and errors.
  virtual std::string str() const = 0;
};

// An initializer held by value in option structs: `.weight_initializer = init::Normal(0.01)`. Empty means
// "the one net.initialize() was given".
class InitializerRef {
 public:
  InitializerRef() = default;
  template <class T>
    requires std::derived_from<T, Initializer>
  InitializerRef(T initializer) : ptr_(std::make_shared<T>(std::move(initializer))) {}
  explicit operator bool() const { return ptr_ != nullptr; }
  const Initializer& operator*() const { return *ptr_; }
  const Initializer* operator->() const { return ptr_.get(); }

 private:
  std::shared_ptr<const Initializer> ptr_;
};

class Zero : public Initializer {
 public:
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override { return "Zero()"; }
};

class One : public Initializer {
 public:
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override { return "One()"; }
};

class Constant : public Initializer {
 public:
  explicit Constant(double value) : value_(value) {}
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  double value_;
};

// Uniform in [-scale, scale]; MXNet's default initializer (scale 0.07).
class Uniform : public Initializer {
 public:
  explicit Uniform(double scale = 0.07) : scale_(scale) {}
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  double scale_;
};

// Normal with mean 0 and standard deviation sigma.
class Normal : public Initializer {
 public:
  explicit Normal(double sigma = 0.01) : sigma_(sigma) {}
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  double sigma_;
};

// Glorot's: scale sqrt(magnitude / factor), factor the fan in, out or their mean; uniform in [-scale, scale] or
// normal with that deviation. Fans from the shape: (out, in, kernel...) as MXNet's.
struct XavierOptions {
  std::string rnd_type = "uniform";  // or "gaussian"
  std::string factor_type = "avg";   // "in", "out"
  double magnitude = 3;
};
class Xavier : public Initializer {
 public:
  explicit Xavier(XavierOptions options = {});
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  XavierOptions options_;
};

// He et al.'s, for PReLU networks: Xavier, gaussian, magnitude 2 / (1 + slope^2).
class MSRAPrelu : public Xavier {
 public:
  explicit MSRAPrelu(std::string factor_type = "avg", double slope = 0.25);
  std::string str() const override;

 private:
  double slope_;
};

// A random orthogonal matrix (rows or columns orthonormal, from an LQ factorization) times `scale`, the weight
// flattened to (shape[0], rest).
class Orthogonal : public Initializer {
 public:
  explicit Orthogonal(double scale = 1.414, std::string rand_type = "uniform");
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  double scale_;
  std::string rand_type_;
};

// MXNet's Bilinear, for upsampling by a transposed convolution: each (k_h, k_w) kernel the bilinear
// interpolation filter (1 - |x / f - c|) (1 - |y / f - c|), f = ceil(k_w / 2), c = (2 f - 1 - f % 2) / (2 f).
class Bilinear : public Initializer {
 public:
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override { return "Bilinear()"; }
};

// MXNet's LSTMBias, for an LSTM's i2h_bias_initializer: zeros, except the forget gate's quarter (gates i, f, g, o),
// which is `forget_bias`, so that a fresh LSTM remembers.
class LSTMBias : public Initializer {
 public:
  explicit LSTMBias(double forget_bias = 1.0) : forget_bias_(forget_bias) {}
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  double forget_bias_;
};

// MXNet's Mixed: each parameter filled by the initializer of the first pattern (std::regex, matching the whole
// name) its name matches, by that initializer's name rules as MXNet's (so biases, betas and gammas stay 0 and 1:
// give a layer's bias_initializer to set those); mx::Error naming the parameter when none matches.
//   net.initialize(init::Mixed({".*output.*weight", ".*"}, {init::Normal(0.01), init::Xavier()}));
class Mixed : public Initializer {
 public:
  Mixed(std::vector<std::string> patterns, std::vector<InitializerRef> initializers);
  void operator()(const std::string& name, NDArray& array) const override;
  void init_weight(const std::string& name, NDArray& array) const override;
  std::string str() const override;

 private:
  const Initializer& chosen(const std::string& name) const;
  std::vector<std::string> patterns_;
  std::vector<InitializerRef> initializers_;
};

// MXNet's Load: each parameter's values by its name from a dict of arrays or an NDArray file (names as
// collect_params() gives them; MXNet's "arg:"/"aux:" prefixes are dropped). A name not found takes
// `default_init`, or is an mx::Error naming it when there is none; a shape that differs is an mx::Error naming
// both. `verbose` logs where each value came from.
class Load : public Initializer {
 public:
  explicit Load(std::map<std::string, NDArray> params, InitializerRef default_init = {}, bool verbose = false);
  explicit Load(const std::string& path, InitializerRef default_init = {}, bool verbose = false);
  void operator()(const std::string& name, NDArray& array) const override;
  void init_weight(const std::string& name, NDArray& array) const override { (*this)(name, array); }
  std::string str() const override { return "Load(" + std::to_string(params_.size()) + " arrays)"; }

 private:
  std::map<std::string, NDArray> params_;
  InitializerRef default_init_;
  bool verbose_;
};

}  // namespace mx::init
