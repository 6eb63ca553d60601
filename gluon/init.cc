#include <mx/gluon/init.h>

#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>

#include <mx/engine/logging.h>
#include <mx/ndarray/error.h>
#include <mx/ndarray/serialize.h>
#include <mx/operators/copy.h>
#include <mx/operators/creation.h>
#include <mx/operators/elemwise.h>
#include <mx/operators/linalg.h>
#include <mx/operators/random.h>

namespace mx::init {
namespace {

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void fill_with(NDArray& array, const NDArray& values) { values.astype(array.dtype()).copyto(array); }

std::string number(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

}  // namespace

void Initializer::operator()(const std::string& name, NDArray& array) const {
  if (ends_with(name, "weight")) return init_weight(name, array);
  if (ends_with(name, "bias") || ends_with(name, "beta") || ends_with(name, "moving_mean") ||
      ends_with(name, "running_mean")) {
    return nd::fill(array, 0);
  }
  if (ends_with(name, "gamma") || ends_with(name, "moving_var") || ends_with(name, "running_var")) {
    return nd::fill(array, 1);
  }
  // Other names (PReLU's alpha, a user's own parameters): as weights, where MXNet raised an error.
  init_weight(name, array);
}

void Zero::init_weight(const std::string&, NDArray& array) const { nd::fill(array, 0); }
void One::init_weight(const std::string&, NDArray& array) const { nd::fill(array, 1); }
void Constant::init_weight(const std::string&, NDArray& array) const { nd::fill(array, value_); }
std::string Constant::str() const { return "Constant(" + number(value_) + ")"; }

void Uniform::init_weight(const std::string&, NDArray& array) const {
  fill_with(array, nd::random::uniform(-scale_, scale_, array.shape(), array.context()));
}
std::string Uniform::str() const { return "Uniform(" + number(scale_) + ")"; }

void Normal::init_weight(const std::string&, NDArray& array) const {
  fill_with(array, nd::random::normal(0, sigma_, array.shape(), array.context()));
}
std::string Normal::str() const { return "Normal(" + number(sigma_) + ")"; }

Xavier::Xavier(XavierOptions options) : options_(std::move(options)) {
  if (options_.rnd_type != "uniform" && options_.rnd_type != "gaussian") {
    throw Error("Xavier: rnd_type must be \"uniform\" or \"gaussian\", got \"" + options_.rnd_type + "\"");
  }
  if (options_.factor_type != "avg" && options_.factor_type != "in" && options_.factor_type != "out") {
    throw Error("Xavier: factor_type must be \"avg\", \"in\" or \"out\", got \"" + options_.factor_type + "\"");
  }
}

void Xavier::init_weight(const std::string& name, NDArray& array) const {
  const Shape& s = array.shape();
  if (s.ndim() < 2) {
    throw ShapeError("Xavier: cannot initialize '" + name + "' of shape " + s.str() +
                     ": it needs at least 2 axes (out, in, ...) to have fans");
  }
  double receptive = 1;
  for (int a = 2; a < s.ndim(); ++a) receptive *= static_cast<double>(s[a]);
  const double fan_in = static_cast<double>(s[1]) * receptive, fan_out = static_cast<double>(s[0]) * receptive;
  const double factor = options_.factor_type == "in" ? fan_in : options_.factor_type == "out" ? fan_out : (fan_in + fan_out) / 2;
  const double scale = std::sqrt(options_.magnitude / factor);
  fill_with(array, options_.rnd_type == "uniform" ? nd::random::uniform(-scale, scale, s, array.context())
                                                  : nd::random::normal(0, scale, s, array.context()));
}

std::string Xavier::str() const {
  return "Xavier(rnd_type=" + options_.rnd_type + ", factor_type=" + options_.factor_type +
         ", magnitude=" + number(options_.magnitude) + ")";
}

MSRAPrelu::MSRAPrelu(std::string factor_type, double slope)
    : Xavier({.rnd_type = "gaussian", .factor_type = std::move(factor_type), .magnitude = 2 / (1 + slope * slope)}),
      slope_(slope) {}
std::string MSRAPrelu::str() const { return "MSRAPrelu(slope=" + number(slope_) + ")"; }

Orthogonal::Orthogonal(double scale, std::string rand_type) : scale_(scale), rand_type_(std::move(rand_type)) {
  if (rand_type_ != "uniform" && rand_type_ != "normal") {
    throw Error("Orthogonal: rand_type must be \"uniform\" or \"normal\", got \"" + rand_type_ + "\"");
  }
}

void Orthogonal::init_weight(const std::string& name, NDArray& array) const {
  const Shape& s = array.shape();
  if (s.ndim() < 2) throw ShapeError("Orthogonal: cannot initialize '" + name + "' of shape " + s.str() + ": needs 2 axes");
  const std::int64_t rows = s[0], cols = s.size() / s[0];
  // LQ of the wider orientation: Q has orthonormal rows (rows <= cols) or, transposed back, columns.
  const bool wide = rows <= cols;
  const Shape drawn = wide ? Shape{rows, cols} : Shape{cols, rows};
  const NDArray random = rand_type_ == "uniform" ? nd::random::uniform(-1, 1, drawn, array.context(), DType::kFloat64)
                                                 : nd::random::normal(0, 1, drawn, array.context(), DType::kFloat64);
  NDArray q = nd::linalg::gelqf(random).first;
  if (!wide) q = q.T();
  fill_with(array, (q * scale_).reshape(s));
}

void Bilinear::init_weight(const std::string& name, NDArray& array) const {
  const Shape& s = array.shape();
  if (s.ndim() != 4) throw ShapeError("Bilinear: cannot initialize '" + name + "' of shape " + s.str() + ": needs (C, 1, kh, kw)");
  const double f = std::ceil(static_cast<double>(s[3]) / 2);
  const double c = (2 * f - 1 - std::fmod(f, 2)) / (2 * f);
  std::vector<double> weight(static_cast<std::size_t>(s.size()));
  for (std::size_t i = 0; i < weight.size(); ++i) {
    const double x = static_cast<double>(static_cast<std::int64_t>(i) % s[3]);
    const double y = static_cast<double>((static_cast<std::int64_t>(i) / s[3]) % s[2]);
    weight[i] = (1 - std::abs(x / f - c)) * (1 - std::abs(y / f - c));
  }
  fill_with(array, nd::array(std::span<const double>(weight), s, array.context(), DType::kFloat64));
}

void LSTMBias::init_weight(const std::string& name, NDArray& array) const {
  if (array.ndim() != 1 || array.shape()[0] % 4 != 0) {
    throw ShapeError("LSTMBias: '" + name + "' must be an LSTM's bias of 4 gates, (4 H,), got " + array.shape().str());
  }
  const std::int64_t hidden = array.shape()[0] / 4;
  std::vector<double> bias(static_cast<std::size_t>(array.shape()[0]), 0.0);
  std::fill(bias.begin() + hidden, bias.begin() + 2 * hidden, forget_bias_);
  fill_with(array, nd::array(std::span<const double>(bias), array.shape(), array.context(), DType::kFloat64));
}

std::string LSTMBias::str() const { return "LSTMBias(forget_bias=" + number(forget_bias_) + ")"; }

Mixed::Mixed(std::vector<std::string> patterns, std::vector<InitializerRef> initializers)
    : patterns_(std::move(patterns)), initializers_(std::move(initializers)) {
  if (patterns_.size() != initializers_.size()) {
    throw Error("Mixed: " + std::to_string(patterns_.size()) + " patterns and " + std::to_string(initializers_.size()) +
                " initializers; give one initializer per pattern");
  }
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    if (!initializers_[i]) throw Error("Mixed: the initializer for '" + patterns_[i] + "' is empty");
    try {
      std::regex check(patterns_[i]);
    } catch (const std::regex_error& e) {
      throw Error("Mixed: '" + patterns_[i] + "' is not a valid pattern: " + e.what());
    }
  }
}

const Initializer& Mixed::chosen(const std::string& name) const {
  for (std::size_t i = 0; i < patterns_.size(); ++i) {
    if (std::regex_match(name, std::regex(patterns_[i]))) return *initializers_[i];
  }
  throw Error("Mixed: parameter '" + name + "' matches none of the patterns; add \".*\" last for the rest");
}

void Mixed::operator()(const std::string& name, NDArray& array) const { chosen(name)(name, array); }
void Mixed::init_weight(const std::string& name, NDArray& array) const { chosen(name).init_weight(name, array); }

std::string Mixed::str() const {
  std::string s = "Mixed(";
  for (std::size_t i = 0; i < patterns_.size(); ++i) s += (i ? ", " : "") + patterns_[i] + ": " + initializers_[i]->str();
  return s + ")";
}

std::string Orthogonal::str() const { return "Orthogonal(scale=" + number(scale_) + ", rand_type=" + rand_type_ + ")"; }

Load::Load(std::map<std::string, NDArray> params, InitializerRef default_init, bool verbose)
    : default_init_(std::move(default_init)), verbose_(verbose) {
  for (auto& [name, array] : params) {
    const bool prefixed = name.starts_with("arg:") || name.starts_with("aux:");
    params_[prefixed ? name.substr(4) : name] = std::move(array);
  }
}

Load::Load(const std::string& path, InitializerRef default_init, bool verbose)
    : Load(nd::load(path).dict(), std::move(default_init), verbose) {}

void Load::operator()(const std::string& name, NDArray& array) const {
  const auto it = params_.find(name);
  if (it == params_.end()) {
    if (!default_init_) {
      throw Error("Load: cannot initialize '" + name + "': not found in the loaded arrays and no default_init given");
    }
    if (verbose_) log_info("Load: '{}' initialized by the default, {}", name, default_init_->str());
    (*default_init_)(name, array);
    return;
  }
  if (it->second.shape() != array.shape()) {
    throw ShapeError("Load: '" + name + "' is " + array.shape().str() + ", the loaded array " + it->second.shape().str());
  }
  nd::copyto(it->second, array);  // converts the dtype and context
  if (verbose_) log_info("Load: '{}' loaded, shape {}", name, array.shape().str());
}

}  // namespace mx::init
