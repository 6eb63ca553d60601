// Every operator against outputs NumPy computed once (reference/make_reference.py wrote reference/numpy_reference.txt;
// its header documents the format). Each case name in the file selects one call below; a case with no call, or a
// call with no case, fails the test, so neither side can drift silently.
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <mx/operators/registry.h>

#include "test_util.h"

using namespace mx;

namespace {

using Arrays = std::vector<NDArray>;
using Call = std::function<Arrays(const Arrays&)>;

struct Record {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::vector<double> values;
};

struct Case {
  std::string name;
  double tolerance = 1e-6;
  std::vector<Record> inputs;
  std::vector<Record> outputs;
};

Record parse_record(std::istringstream& fields, const std::string& line) {
  Record r;
  std::string dtype, shape;
  fields >> dtype >> shape;
  r.dtype = dtype_from_name(dtype);
  if (shape != "_") {
    std::istringstream extents(shape);
    for (std::string extent; std::getline(extents, extent, ',');) r.shape.push_back(std::stoll(extent));
  }
  for (std::string v; fields >> v;) r.values.push_back(std::stod(v));  // stod reads "nan", >> does not
  if (static_cast<std::int64_t>(r.values.size()) != r.shape.size()) {
    throw std::runtime_error("numpy_reference.txt: malformed record: " + line.substr(0, 80));
  }
  return r;
}

std::vector<Case> read_cases(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::runtime_error("cannot open " + path);
  std::vector<Case> cases;
  for (std::string line; std::getline(file, line);) {
    std::istringstream fields(line);
    std::string kind;
    fields >> kind;
    if (kind.empty() || kind[0] == '#') continue;
    if (kind == "case") {
      cases.emplace_back();
      fields >> cases.back().name;
    } else if (cases.empty()) {
      throw std::runtime_error("numpy_reference.txt: record before the first case");
    } else if (kind == "tol") {
      fields >> cases.back().tolerance;
    } else if (kind == "in") {
      cases.back().inputs.push_back(parse_record(fields, line));
    } else if (kind == "out") {
      cases.back().outputs.push_back(parse_record(fields, line));
    } else {
      throw std::runtime_error("numpy_reference.txt: unknown record " + kind);
    }
  }
  return cases;
}

Call one(std::function<NDArray(const Arrays&)> fn) {
  return [fn](const Arrays& in) { return Arrays{fn(in)}; };
}

// The mxpp call for each case of the file, by case name.
std::map<std::string, Call> calls() {
  std::map<std::string, Call> c;
  const auto numbered = [&](const std::string& name, int count, std::function<NDArray(const Arrays&)> fn) {
    for (int i = 0; i < count; ++i) c[name + "_" + std::to_string(i)] = one(fn);
  };
  numbered("add", 7, [](const Arrays& in) { return nd::add(in[0], in[1]); });
  numbered("subtract", 7, [](const Arrays& in) { return in[0] - in[1]; });
  numbered("multiply", 7, [](const Arrays& in) { return nd::multiply(in[0], in[1]); });
  numbered("maximum", 7, [](const Arrays& in) { return nd::maximum(in[0], in[1]); });
  numbered("minimum", 7, [](const Arrays& in) { return nd::minimum(in[0], in[1]); });
  numbered("divide", 4, [](const Arrays& in) { return in[0] / in[1]; });
  numbered("modulo", 4, [](const Arrays& in) { return in[0] % in[1]; });
  numbered("power", 4, [](const Arrays& in) { return nd::power(in[0], in[1]); });
  numbered("equal", 3, [](const Arrays& in) { return in[0] == in[1]; });
  numbered("not_equal", 3, [](const Arrays& in) { return nd::not_equal(in[0], in[1]); });
  numbered("greater", 3, [](const Arrays& in) { return in[0] > in[1]; });
  numbered("greater_equal", 3, [](const Arrays& in) { return nd::greater_equal(in[0], in[1]); });
  numbered("lesser", 3, [](const Arrays& in) { return in[0] < in[1]; });
  numbered("lesser_equal", 3, [](const Arrays& in) { return nd::lesser_equal(in[0], in[1]); });

  c["plus_scalar"] = one([](const Arrays& in) { return in[0] + 2.5; });
  c["minus_scalar"] = one([](const Arrays& in) { return in[0] - 2.5; });
  c["rminus_scalar"] = one([](const Arrays& in) { return 2.5 - in[0]; });
  c["mul_scalar"] = one([](const Arrays& in) { return -1.5 * in[0]; });
  c["div_scalar"] = one([](const Arrays& in) { return in[0] / 4.0; });
  c["rdiv_scalar"] = one([](const Arrays& in) { return 3.0 / in[0]; });
  c["mod_scalar"] = one([](const Arrays& in) { return in[0] % 3.0; });
  c["rmod_scalar"] = one([](const Arrays& in) { return 7.0 % in[0]; });
  c["power_scalar"] = one([](const Arrays& in) { return nd::power(in[0], 2.5); });
  c["rpower_scalar"] = one([](const Arrays& in) { return nd::power(2.0, in[0]); });
  c["maximum_scalar"] = one([](const Arrays& in) { return nd::maximum(in[0], 0.25); });
  c["minimum_scalar"] = one([](const Arrays& in) { return nd::minimum(0.25, in[0]); });
  c["greater_scalar"] = one([](const Arrays& in) { return in[0] > 0.0; });
  c["lesser_equal_scalar"] = one([](const Arrays& in) { return 0.0 >= in[0]; });
  c["equal_scalar"] = one([](const Arrays& in) { return in[0] == 1.0; });

  const std::map<std::string, NDArray (*)(const NDArray&)> unary = {
      {"negative", nd::negative}, {"abs", nd::abs},     {"sign", nd::sign},       {"sqrt", nd::sqrt},
      {"rsqrt", nd::rsqrt},       {"square", nd::square}, {"reciprocal", nd::reciprocal}, {"exp", nd::exp},
      {"log", nd::log},           {"sin", nd::sin},     {"cos", nd::cos},         {"floor", nd::floor},
      {"ceil", nd::ceil},         {"relu", nd::relu},   {"sigmoid", nd::sigmoid}, {"tanh", nd::tanh}};
  const std::map<std::string, NDArray (*)(const NDArray&)> math = {
      {"tan", nd::tan},         {"arcsin", nd::arcsin},   {"arccos", nd::arccos},   {"arctan", nd::arctan},
      {"sinh", nd::sinh},       {"cosh", nd::cosh},       {"arcsinh", nd::arcsinh}, {"arccosh", nd::arccosh},
      {"arctanh", nd::arctanh}, {"degrees", nd::degrees}, {"radians", nd::radians}, {"cbrt", nd::cbrt},
      {"rcbrt", nd::rcbrt},     {"expm1", nd::expm1},     {"log1p", nd::log1p},     {"log2", nd::log2},
      {"log10", nd::log10},     {"round", nd::round},     {"rint", nd::rint},       {"fix", nd::fix},
      {"trunc", nd::trunc},     {"erf", nd::erf},         {"erfinv", nd::erfinv},   {"gamma", nd::gamma},
      {"gammaln", nd::gammaln}, {"digamma", nd::digamma}, {"trigamma", nd::trigamma}};
  for (const auto& table : {unary, math}) {
    for (const auto& [name, fn] : table) c[name] = one([fn](const Arrays& in) { return fn(in[0]); });
  }
  c["digamma_float64"] = c["digamma"];
  c["erfinv_float64"] = c["erfinv"];
  numbered("hypot", 3, [](const Arrays& in) { return nd::hypot(in[0], in[1]); });
  numbered("atan2", 3, [](const Arrays& in) { return nd::atan2(in[0], in[1]); });
  numbered("logical_and", 3, [](const Arrays& in) { return nd::logical_and(in[0], in[1]); });
  numbered("logical_or", 3, [](const Arrays& in) { return nd::logical_or(in[0], in[1]); });
  numbered("logical_xor", 3, [](const Arrays& in) { return nd::logical_xor(in[0], in[1]); });
  numbered("bitwise_and", 3, [](const Arrays& in) { return nd::bitwise_and(in[0], in[1]); });
  numbered("bitwise_or", 3, [](const Arrays& in) { return nd::bitwise_or(in[0], in[1]); });
  numbered("bitwise_xor", 3, [](const Arrays& in) { return nd::bitwise_xor(in[0], in[1]); });

  using Reduction = NDArray (*)(const NDArray&, std::vector<int>, bool);
  const std::map<std::string, Reduction> reductions = {
      {"sum", nd::sum}, {"mean", nd::mean}, {"max", nd::max}, {"min", nd::min}};
  const std::map<std::string, std::vector<int>> axis_sets = {
      {"all", {}}, {"a0", {0}}, {"a1", {1}}, {"a02", {0, 2}}, {"am1", {-1}}};
  for (const auto& [tag, axes] : axis_sets) {
    for (const auto& [name, fn] : reductions) {
      c[name + "_" + tag] = one([fn, axes](const Arrays& in) { return fn(in[0], axes, false); });
      c[name + "_" + tag + "_keepdims"] = one([fn, axes](const Arrays& in) { return fn(in[0], axes, true); });
    }
    for (int ord : {1, 2}) {
      c["norm" + std::to_string(ord) + "_" + tag] =
          one([ord, axes](const Arrays& in) { return nd::norm(in[0], ord, axes); });
    }
  }
  for (int axis : {0, 1, 2}) {
    c["argmax_a" + std::to_string(axis)] = one([axis](const Arrays& in) { return nd::argmax(in[0], axis); });
  }
  c["sum_int32"] = one([](const Arrays& in) { return in[0].sum({1}); });
  c["sum_float64"] = one([](const Arrays& in) { return in[0].sum({0}); });

  c["dot"] = c["dot_vectors"] = c["dot_nd"] = c["dot_float64"] =
      one([](const Arrays& in) { return nd::dot(in[0], in[1]); });
  c["dot_ta"] = one([](const Arrays& in) { return nd::dot(in[0], in[1], true, false); });
  c["dot_tb"] = one([](const Arrays& in) { return nd::dot(in[0], in[1], false, true); });
  c["dot_tatb"] = one([](const Arrays& in) { return nd::dot(in[0], in[1], true, true); });
  c["batch_dot"] = one([](const Arrays& in) { return nd::batch_dot(in[0], in[1]); });
  c["batch_dot_ta"] = one([](const Arrays& in) { return nd::batch_dot(in[0], in[1], true, false); });
  c["batch_dot_tb"] = one([](const Arrays& in) { return nd::batch_dot(in[0], in[1], false, true); });
  c["fully_connected"] = one([](const Arrays& in) { return nd::FullyConnected(in[0], in[1], in[2], 5); });
  c["fully_connected_no_bias"] =
      one([](const Arrays& in) { return nd::FullyConnected(in[0], in[1], std::nullopt, 5); });
  c["fully_connected_no_flatten"] =
      one([](const Arrays& in) { return nd::FullyConnected(in[0], in[1], in[2], 5, false); });

  c["transpose"] = one([](const Arrays& in) { return nd::transpose(in[0]); });
  c["transpose_axes"] = one([](const Arrays& in) { return nd::transpose(in[0], {1, 2, 0}); });
  c["expand_dims_1"] = one([](const Arrays& in) { return nd::expand_dims(in[0], 1); });
  c["expand_dims_m1"] = one([](const Arrays& in) { return nd::expand_dims(in[0], -1); });
  c["flatten"] = one([](const Arrays& in) { return nd::flatten(in[0]); });
  c["concat_1"] = one([](const Arrays& in) { return nd::concat(in, 1); });
  c["concat_0"] = one([](const Arrays& in) { return nd::concat(in, 0); });
  for (const auto& [tag, axes] : axis_sets) {
    c["prod_" + tag] = one([axes](const Arrays& in) { return nd::prod(in[0], axes); });
  }
  c["nansum_a1"] = one([](const Arrays& in) { return nd::nansum(in[0], {1}); });
  c["nanprod_a0"] = one([](const Arrays& in) { return nd::nanprod(in[0], {0}); });
  for (int axis : {0, 1, 2}) {
    c["argmin_a" + std::to_string(axis)] = one([axis](const Arrays& in) { return nd::argmin(in[0], axis); });
  }
  c["var_all"] = one([](const Arrays& in) { return nd::var(in[0]); });
  c["var_a1_ddof1"] = one([](const Arrays& in) { return nd::var(in[0], {1}, false, 1); });
  c["std_a0_keepdims"] = one([](const Arrays& in) { return nd::std(in[0], {0}, true); });
  c["cumsum_a1"] = one([](const Arrays& in) { return nd::cumsum(in[0], 1); });
  c["cumsum_am1"] = one([](const Arrays& in) { return nd::cumsum(in[0], -1); });
  c["cumprod_a2"] = one([](const Arrays& in) { return nd::cumprod(in[0], 2); });
  c["where"] = one([](const Arrays& in) { return nd::where(in[0], in[1], in[2]); });
  c["squeeze_all"] = one([](const Arrays& in) { return nd::squeeze(in[0]); });
  c["squeeze_a1"] = one([](const Arrays& in) { return nd::squeeze(in[0], {1}); });
  c["swapaxes_0_2"] = one([](const Arrays& in) { return nd::swapaxes(in[0], 0, 2); });
  c["stack_0"] = one([](const Arrays& in) { return nd::stack(in, 0); });
  c["stack_m1"] = one([](const Arrays& in) { return nd::stack(in, -1); });
  c["reshape_like"] = one([](const Arrays& in) { return nd::reshape_like(in[0], in[1]); });
  c["broadcast_like"] = one([](const Arrays& in) { return nd::broadcast_like(in[0], in[1]); });
  c["tile_2_1"] = one([](const Arrays& in) { return nd::tile(in[0], {2, 1}); });
  c["tile_lead"] = one([](const Arrays& in) { return nd::tile(in[0], {2, 1, 3}); });
  c["repeat_flat"] = one([](const Arrays& in) { return nd::repeat(in[0], 2); });
  c["repeat_a1"] = one([](const Arrays& in) { return nd::repeat(in[0], 3, 1); });
  c["flip_0"] = one([](const Arrays& in) { return nd::flip(in[0], 0); });
  c["flip_m1"] = one([](const Arrays& in) { return nd::flip(in[0], -1); });
  c["pad_constant"] = one([](const Arrays& in) { return nd::pad(in[0], {0, 0, 1, 2, 2, 1}, nd::PadMode::kConstant, 1.5); });
  c["pad_edge"] = one([](const Arrays& in) { return nd::pad(in[0], {0, 0, 1, 2, 2, 1}, nd::PadMode::kEdge); });
  c["pad_reflect"] = one([](const Arrays& in) { return nd::pad(in[0], {0, 0, 1, 2, 2, 1}, nd::PadMode::kReflect); });
  c["diag_2d"] = c["diag_1d"] = one([](const Arrays& in) { return nd::diag(in[0]); });
  c["diag_2d_k1"] = c["diag_1d_k1"] = one([](const Arrays& in) { return nd::diag(in[0], 1); });
  c["diag_2d_km2"] = c["diag_1d_km2"] = one([](const Arrays& in) { return nd::diag(in[0], -2); });
  c["tril"] = one([](const Arrays& in) { return nd::tril(in[0]); });
  c["tril_k1"] = one([](const Arrays& in) { return nd::tril(in[0], 1); });
  c["triu_km1"] = one([](const Arrays& in) { return nd::triu(in[0], -1); });
  c["eye_3_4_k1"] = one([](const Arrays&) { return nd::eye(3, 4, 1); });
  c["eye_3_km1"] = one([](const Arrays&) { return nd::eye(3, 0, -1); });
  c["linspace"] = one([](const Arrays&) { return nd::linspace(-1, 2, 7); });
  c["linspace_open"] = one([](const Arrays&) { return nd::linspace(0, 1, 4, false); });
  c["act_softrelu"] = one([](const Arrays& in) { return nd::Activation(in[0], "softrelu"); });
  c["act_softsign"] = one([](const Arrays& in) { return nd::Activation(in[0], "softsign"); });
  c["act_log_sigmoid"] = one([](const Arrays& in) { return nd::Activation(in[0], "log_sigmoid"); });
  c["act_mish"] = one([](const Arrays& in) { return nd::Activation(in[0], "mish"); });
  c["hard_sigmoid"] = one([](const Arrays& in) { return nd::hard_sigmoid(in[0]); });
  c["hard_sigmoid_a6"] = one([](const Arrays& in) { return nd::hard_sigmoid(in[0], 1.0 / 6); });
  c["softmin_a0"] = one([](const Arrays& in) { return nd::softmin(in[0], 0); });
  c["moments_a02"] = [](const Arrays& in) {
    const auto [mean, var] = nd::moments(in[0], {0, 2});
    return Arrays{mean, var};
  };
  c["moments_all_keepdims"] = [](const Arrays& in) {
    const auto [mean, var] = nd::moments(in[0], {}, true);
    return Arrays{mean, var};
  };
  c["histogram_6"] = [](const Arrays& in) {
    const auto [counts, edges] = nd::histogram(in[0], 6);
    return Arrays{counts, edges};
  };
  c["histogram_5_range"] = [](const Arrays& in) {
    const auto [counts, edges] = nd::histogram(in[0], 5, std::pair{-1.0, 1.5});
    return Arrays{counts, edges};
  };
  c["histogram_edges"] = [](const Arrays& in) {
    const auto [counts, edges] = nd::histogram(in[0], in[1]);
    return Arrays{counts, edges};
  };
  c["ravel_multi_index_345"] = one([](const Arrays& in) { return nd::ravel_multi_index(in[0], Shape{3, 4, 5}); });
  c["unravel_index_345"] = one([](const Arrays& in) { return nd::unravel_index(in[0], Shape{3, 4, 5}); });
  c["allclose_close"] = c["allclose_far"] = one([](const Arrays& in) { return nd::contrib::allclose(in[0], in[1]); });
  c["adaptive_avg_pool_3_2"] = one([](const Arrays& in) { return nd::contrib::AdaptiveAvgPooling2D(in[0], {3, 2}); });
  c["adaptive_avg_pool_up_9_6"] = one([](const Arrays& in) { return nd::contrib::AdaptiveAvgPooling2D(in[0], {9, 6}); });
  c["index_copy"] = one([](const Arrays& in) { return nd::contrib::index_copy(in[0], in[1], in[2]); });
  c["index_array_all"] = one([](const Arrays& in) { return nd::contrib::index_array(in[0]); });
  c["index_array_a2_0"] = one([](const Arrays& in) { return nd::contrib::index_array(in[0], {2, 0}); });
  c["arange_like_r2"] = one([](const Arrays& in) { return nd::contrib::arange_like(in[0], 1.5, 0.5, 2); });
  c["arange_like_a1"] = one([](const Arrays& in) { return nd::contrib::arange_like(in[0], 0, 2, 1, 1); });
  c["extractdiag_k1"] = one([](const Arrays& in) { return nd::linalg::extractdiag(in[0], 1); });
  c["extractdiag_km2"] = one([](const Arrays& in) { return nd::linalg::extractdiag(in[0], -2); });
  c["makediag_k0"] = one([](const Arrays& in) { return nd::linalg::makediag(in[0]); });
  c["makediag_km1"] = one([](const Arrays& in) { return nd::linalg::makediag(in[0], -1); });
  c["extracttrian_lower"] = one([](const Arrays& in) { return nd::linalg::extracttrian(in[0]); });
  c["extracttrian_upper"] = one([](const Arrays& in) { return nd::linalg::extracttrian(in[0], 0, false); });
  c["extracttrian_k1"] = one([](const Arrays& in) { return nd::linalg::extracttrian(in[0], 1); });
  c["extracttrian_km2"] = one([](const Arrays& in) { return nd::linalg::extracttrian(in[0], -2); });
  c["maketrian_lower"] = one([](const Arrays& in) { return nd::linalg::maketrian(in[0]); });
  c["maketrian_k2"] = one([](const Arrays& in) { return nd::linalg::maketrian(in[0], 2); });
  c["sumlogdiag"] = one([](const Arrays& in) { return nd::linalg::sumlogdiag(in[0]); });
  c["khatri_rao_3"] = one([](const Arrays& in) { return nd::khatri_rao(in); });
  for (const char* type : {"leaky", "elu", "selu", "gelu"}) {
    c[type] = one([type](const Arrays& in) { return nd::LeakyReLU(in[0], type); });
  }
  c["prelu"] = one([](const Arrays& in) { return nd::LeakyReLU(in[0], "prelu", 0, in[1]); });
  c["take_clip"] = one([](const Arrays& in) { return nd::take(in[0], in[1]); });
  c["take_wrap_a1"] = one([](const Arrays& in) { return nd::take(in[0], in[1], 1, nd::IndexMode::kWrap); });
  c["conv2d"] = one([](const Arrays& in) { return nd::Convolution(in[0], in[1], in[2], {{3, 2}}, 4); });
  c["conv2d_s2_p1_d2"] = one([](const Arrays& in) {
    return nd::Convolution(in[0], in[1], in[2], {{3, 2}, {2, 1}, {2, 1}, {1, 2}}, 4);
  });
  c["conv2d_groups"] = one([](const Arrays& in) {
    return nd::Convolution(in[0], in[1], std::nullopt, {{3, 3}, {}, {}, {1, 1}}, 6, 2);
  });
  c["conv1d_s2"] = one([](const Arrays& in) {
    return nd::Convolution(in[0], in[1], std::nullopt, {{4}, {2}, {}, {1}}, 2);
  });
  c["conv3d"] = one([](const Arrays& in) {
    return nd::Convolution(in[0], in[1], std::nullopt, {{2, 2, 3}, {}, {}, {0, 1, 1}}, 2);
  });
  c["deconv2d"] = one([](const Arrays& in) {
    return nd::Deconvolution(in[0], in[1], std::nullopt, {{3, 3}, {2, 2}, {}, {1, 0}}, 2, 1, {1, 0});
  });
  c["deconv2d_groups"] = one([](const Arrays& in) {
    return nd::Deconvolution(in[0], in[1], std::nullopt, {{2, 2}}, 6, 2);
  });
  c["maxpool2d"] = one([](const Arrays& in) { return nd::Pooling(in[0], {{3, 2}, {2, 2}, {}, {1, 0}}); });
  c["maxpool2d_full"] = one([](const Arrays& in) {
    return nd::Pooling(in[0], {{3, 3}, {2, 2}}, {.convention = nd::PoolingConvention::kFull});
  });
  c["avgpool2d"] = one([](const Arrays& in) {
    return nd::Pooling(in[0], {{2, 2}, {2, 2}, {}, {1, 1}}, {.type = nd::PoolType::kAvg});
  });
  c["avgpool2d_exclude_pad"] = one([](const Arrays& in) {
    return nd::Pooling(in[0], {{3, 3}, {2, 2}, {}, {1, 1}}, {.type = nd::PoolType::kAvg, .count_include_pad = false});
  });
  c["sumpool1d"] = one([](const Arrays& in) { return nd::Pooling(in[0], {{3}, {2}}, {.type = nd::PoolType::kSum}); });
  c["globalavgpool"] = one([](const Arrays& in) {
    return nd::Pooling(in[0], {{1, 1}}, {.type = nd::PoolType::kAvg, .global_pool = true});
  });
  c["layer_norm"] = one([](const Arrays& in) { return nd::LayerNorm(in[0], in[1], in[2]); });
  c["instance_norm"] = one([](const Arrays& in) { return nd::InstanceNorm(in[0], in[1], in[2]); });
  c["batch_norm_inference"] = one([](const Arrays& in) {
    NDArray mean = in[3], var = in[4];
    return nd::BatchNorm(in[0], in[1], in[2], mean, var, {.fix_gamma = false});
  });
  c["softmax_temperature"] = one([](const Arrays& in) { return nd::softmax(in[0], -1, 2.5); });
  c["smooth_l1"] = one([](const Arrays& in) { return nd::smooth_l1(in[0], 2); });
  c["sequence_mask"] = one([](const Arrays& in) { return nd::sequence_mask(in[0], in[1], -1); });
  c["sequence_mask_a1"] = one([](const Arrays& in) { return nd::sequence_mask(in[0], in[1], 0, 1); });
  c["embedding"] = one([](const Arrays& in) { return nd::Embedding(in[0], in[1]); });
  c["argsort_a1"] = one([](const Arrays& in) { return nd::argsort(in[0], 1); });
  c["argsort_a0_desc"] = one([](const Arrays& in) { return nd::argsort(in[0], 0, false); });
  c["sort_a1"] = one([](const Arrays& in) { return nd::sort(in[0], 1); });
  c["sort_a0_desc"] = one([](const Arrays& in) { return nd::sort(in[0], 0, false); });
  c["topk_indices"] = one([](const Arrays& in) { return nd::topk(in[0], 1, 2)[0]; });
  c["topk_value"] = one([](const Arrays& in) { return nd::topk(in[0], 1, 2, nd::TopkReturn::kValue)[0]; });
  c["topk_mask"] = one([](const Arrays& in) { return nd::topk(in[0], 1, 2, nd::TopkReturn::kMask)[0]; });
  c["take_along_axis"] = one([](const Arrays& in) { return nd::take_along_axis(in[0], in[1], 1); });
  c["copy"] = one([](const Arrays& in) { return in[0].copy(); });
  c["not_equal_scalar"] = one([](const Arrays& in) { return in[0] != 0.0; });
  c["greater_equal_scalar"] = one([](const Arrays& in) { return in[0] >= 0.0; });
  c["lesser_scalar"] = one([](const Arrays& in) { return in[0] < 0.0; });
  c["broadcast_to"] = one([](const Arrays& in) { return nd::broadcast_to(in[0], {2, 3, 4}); });
  c["slice_axis_1"] = one([](const Arrays& in) { return nd::slice_axis(in[0], 1, 1, 4); });
  c["slice_axis_m1"] = one([](const Arrays& in) { return nd::slice_axis(in[0], -1, -2, 3); });
  c["split_1"] = [](const Arrays& in) { return nd::split(in[0], 3, 1); };
  c["split_2_squeeze"] = [](const Arrays& in) { return nd::split(in[0], 2, 2, true); };

  c["clip"] = one([](const Arrays& in) { return nd::clip(in[0], -1, 2); });
  c["one_hot"] = one([](const Arrays& in) { return nd::one_hot(in[0], 4); });
  c["pick"] = one([](const Arrays& in) { return nd::pick(in[0], in[1]); });
  c["pick_axis0"] = one([](const Arrays& in) { return nd::pick(in[0], in[1], 0); });
  c["softmax"] = one([](const Arrays& in) { return nd::softmax(in[0]); });
  c["softmax_axis1"] = one([](const Arrays& in) { return nd::softmax(in[0], 1); });
  c["log_softmax"] = one([](const Arrays& in) { return nd::log_softmax(in[0]); });
  c["log_softmax_axis0"] = one([](const Arrays& in) { return nd::log_softmax(in[0], 0); });
  c["softmax_cross_entropy"] = one([](const Arrays& in) { return nd::softmax_cross_entropy(in[0], in[1]); });

  using nd::SliceBound;
  const SliceBound none;
  c["slice_steps"] = one([none](const Arrays& in) { return nd::slice(in[0], {1, none, -1}, {none, 4, 0}, {2, none, -2}); });
  c["slice_reverse"] = one([none](const Arrays& in) { return nd::slice(in[0], {none}, {none}, {-1}); });
  c["slice_clipped"] = one([](const Arrays& in) { return nd::slice(in[0], {-10, 2}, {10, 100}); });
  c["gather_nd"] = one([](const Arrays& in) { return nd::gather_nd(in[0], in[1]); });
  c["gather_nd_full"] = one([](const Arrays& in) { return nd::gather_nd(in[0], in[1]); });
  c["scatter_nd"] = one([](const Arrays& in) { return nd::scatter_nd(in[0], in[1], {3, 4, 2}); });
  c["fmod"] = one([](const Arrays& in) { return nd::fmod(in[0], in[1]); });
  c["fmod_scalar"] = one([](const Arrays& in) { return nd::fmod(in[0], 1.7); });
  c["fmod_int32"] = one([](const Arrays& in) { return nd::fmod(in[0], in[1]); });
  const double inf = std::numeric_limits<double>::infinity();
  c["norm_ord3_a1"] = one([](const Arrays& in) { return nd::norm(in[0], 3, {1}); });
  c["norm_ord_half"] = one([](const Arrays& in) { return nd::norm(in[0], 0.5); });
  c["norm_inf_a0"] = one([inf](const Arrays& in) { return nd::norm(in[0], inf, {0}); });
  c["norm_neg_inf"] = one([inf](const Arrays& in) { return nd::norm(in[0], -inf); });
  c["norm_ord0_a1"] = one([](const Arrays& in) { return nd::norm(in[0], 0, {1}); });
  c["dist_p3"] = one([](const Arrays& in) { return nd::dist(in[0], in[1], 3); });
  c["addr"] = one([](const Arrays& in) { return nd::addr(in[0], in[1], in[2], 0.5, 2); });
  c["cross_a1"] = one([](const Arrays& in) { return nd::cross(in[0], in[1], -2); });
  c["cross_last"] = one([](const Arrays& in) { return nd::cross(in[0], in[1]); });
  namespace la = nd::linalg;
  c["linalg_gemm"] = one([](const Arrays& in) { return nd::linalg_gemm(in[0], in[1], in[2], false, false, 0.5, 2); });
  c["linalg_gemm2_tt"] = one([](const Arrays& in) { return nd::linalg_gemm2(in[0], in[1], true, true, 1.5); });
  c["linalg_potrf"] = one([](const Arrays& in) { return la::potrf(in[0]); });
  c["linalg_potri"] = one([](const Arrays& in) { return la::potri(in[0]); });
  c["linalg_trsm"] = one([](const Arrays& in) { return la::trsm(in[0], in[1], false, false, true, 2); });
  c["linalg_trsm_right_upper_t"] = one([](const Arrays& in) { return la::trsm(in[0], in[1], true, true, false); });
  c["linalg_trmm"] = one([](const Arrays& in) { return la::trmm(in[0], in[1], false, false, true, 1.5); });
  c["linalg_trmm_right_t"] = one([](const Arrays& in) { return la::trmm(in[0], in[1], true, true, true); });
  c["linalg_syrk"] = one([](const Arrays& in) { return la::syrk(in[0]); });
  c["linalg_syrk_t"] = one([](const Arrays& in) { return la::syrk(in[0], true, 0.5); });
  c["linalg_gelqf"] = [](const Arrays& in) {
    auto [q, l] = la::gelqf(in[0]);
    return Arrays{q, l};
  };
  c["linalg_syevd"] = [](const Arrays& in) {
    auto [u, lambda] = nd::linalg_syevd(in[0]);
    return Arrays{u, lambda};
  };
  c["linalg_inverse"] = one([](const Arrays& in) { return la::inverse(in[0]); });
  c["linalg_det"] = one([](const Arrays& in) { return la::det(in[0]); });
  c["linalg_slogdet"] = [](const Arrays& in) {
    auto [sign, log_abs] = la::slogdet(in[0]);
    return Arrays{sign, log_abs};
  };
  c["linalg_lstsq"] = one([](const Arrays& in) { return la::lstsq(in[0], in[1]); });
  c["softmax_cross_entropy_per_sample"] = one([](const Arrays& in) { return nd::softmax_cross_entropy(in[0], in[1], true); });
  c["image_to_tensor"] = one([](const Arrays& in) { return nd::image::to_tensor(in[0]); });
  c["image_to_tensor_normalized"] = one([](const Arrays& in) {
    return nd::image::to_tensor_normalized(in[0], {0.4, 0.6}, {0.2, 0.5});
  });
  c["image_resize_down_up"] = one([](const Arrays& in) { return nd::image::resize(in[0], 3, 8); });
  c["image_normalize"] = one([](const Arrays& in) { return nd::image::normalize(in[0], {0.1, 0.2}, {0.5, 2.0}); });
  c["linalg_lstsq_min_norm"] = one([](const Arrays& in) { return nd::gels(in[1], in[0]); });

  for (DType to : {DType::kInt32, DType::kFloat64, DType::kFloat16, DType::kUint8}) {
    c[std::string("astype_") + dtype_name(to)] = one([to](const Arrays& in) { return in[0].astype(to); });
  }
  c["astype_from_int64"] = one([](const Arrays& in) { return in[0].astype(DType::kFloat32); });
  return c;
}

}  // namespace

TEST_CASE("operators match NumPy's reference outputs", "[operators][reference]") {
  engine::trace::enable();  // to see which registered operators the table ran
  engine::trace::clear();
  const std::vector<Case> cases = read_cases(MXPP_NUMPY_REFERENCE);
  const std::map<std::string, Call> by_name = calls();
  REQUIRE(cases.size() >= 320);

  std::set<std::string> used;
  for (const Case& test_case : cases) {
    INFO("case " << test_case.name);
    const auto call = by_name.find(test_case.name);
    if (call == by_name.end()) {
      FAIL_CHECK("no mxpp call for this case");
      continue;
    }
    used.insert(test_case.name);

    Arrays inputs;
    for (const Record& in : test_case.inputs) inputs.push_back(nd::array(in.values, in.shape, cpu(), in.dtype));
    const Arrays outputs = call->second(inputs);
    REQUIRE(outputs.size() == test_case.outputs.size());
    for (std::size_t i = 0; i < outputs.size(); ++i) {
      INFO("output " << i);
      CHECK(outputs[i].dtype() == test_case.outputs[i].dtype);
      test::check_array(outputs[i], test_case.outputs[i].shape, test_case.outputs[i].values, test_case.tolerance);
    }
  }
  for (const auto& [name, call] : by_name) {
    INFO("call with no case in the file: " << name);
    CHECK(used.count(name) == 1);
  }

  // Every registered operator has a value test: here, or (listed with where) in a hand-written test.
  nd::waitall();
  std::set<std::string> ran;
  for (const engine::trace::Event& event : engine::trace::events()) ran.insert(event.name);
  engine::trace::disable();
  const std::map<std::string, std::string> tested_elsewhere = {
      {"_full", "creation_test.cc"}, {"_arange", "creation_test.cc"},
      {"_split_v2", "shape_ops_test.cc (cut points, sections, errors)"},
      {"_random_uniform", "creation_test.cc (moments, reproducibility)"},
      {"_random_normal", "creation_test.cc (moments, reproducibility)"},
      {"_random_exponential", "random_test.cc (moments, goodness of fit)"},
      {"_random_gamma", "random_test.cc (moments, goodness of fit)"},
      {"_random_poisson", "random_test.cc (moments, goodness of fit)"},
      {"_random_negative_binomial", "random_test.cc (moments, goodness of fit)"},
      {"_random_cauchy", "random_test.cc (median, goodness of fit)"},
      {"_random_geometric", "random_test.cc (moments, goodness of fit)"},
      {"_random_bernoulli", "random_test.cc (moments, goodness of fit)"},
      {"_random_bernoulli_like", "random_test.cc (moments per element)"},
      {"_random_randint", "random_test.cc (range, goodness of fit)"},
      {"_sample_uniform", "random_test.cc (moments per parameter)"},
      {"_sample_normal", "random_test.cc (moments per parameter)"},
      {"_sample_exponential", "random_test.cc (moments per parameter)"},
      {"_sample_gamma", "random_test.cc (moments per parameter)"},
      {"_sample_poisson", "random_test.cc (moments per parameter)"},
      {"_sample_negative_binomial", "random_test.cc (moments per parameter)"},
      {"_sample_multinomial", "random_test.cc (goodness of fit)"},
      {"_shuffle", "random_test.cc (permutation, uniform positions)"},
      {"sgd_update", "tests/gluon/optimizer_test.cc (each rule against its formula)"},
      {"sgd_mom_update", "tests/gluon/optimizer_test.cc"}, {"nag_mom_update", "tests/gluon/optimizer_test.cc"},
      {"adam_update", "tests/gluon/optimizer_test.cc"}, {"adamw_update", "tests/gluon/optimizer_test.cc"},
      {"rmsprop_update", "tests/gluon/optimizer_test.cc"}, {"adagrad_update", "tests/gluon/optimizer_test.cc"},
      {"adadelta_update", "tests/gluon/optimizer_test.cc"}, {"adamax_update", "tests/gluon/optimizer_test.cc"},
      {"lamb_update", "tests/gluon/optimizer_test.cc"}, {"signum_update", "tests/gluon/optimizer_test.cc"},
      {"ftrl_update", "tests/gluon/optimizer_test.cc"}, {"nadam_update", "tests/gluon/optimizer_test.cc"},
      {"rmspropalex_update", "tests/gluon/optimizer_test.cc"}, {"ftml_update", "tests/gluon/optimizer_test.cc"},
      {"dcasgd_update", "tests/gluon/optimizer_test.cc"},
      {"_take_backward", "the gradient check of take (tests/autograd)"},
      {"_backward_relu", "relu's gradient values (tests/autograd/autograd_test.cc) and its own gradient check"},
      {"SoftmaxOutput", "nn_test.cc (forward and its gradient)"},
      {"LinearRegressionOutput", "output_layers_test.cc (forward and its gradient)"},
      {"LogisticRegressionOutput", "output_layers_test.cc"}, {"MAERegressionOutput", "output_layers_test.cc"},
      {"MakeLoss", "output_layers_test.cc"}, {"BlockGrad", "output_layers_test.cc"},
      {"_apply", "indexing_test.cc (a callable's values, in place, its errors)"},
      {"_softmax_cross_entropy_backward", "the gradient checks of softmax_cross_entropy (tests/autograd) run it"},
      {"_backward_gather_nd", "the gradient check of gather_nd (tests/autograd)"},
      {"_slice_backward", "the gradient check of slice (tests/autograd)"},
      // GPU only: against the CPU's Convolution and BatchNorm, values and gradients (label gpu).
      {"_cudnn_convolution", "tests/operators/gpu_operators_test.cc"},
      {"_backward_cudnn_convolution", "tests/operators/gpu_operators_test.cc"},
      {"_cudnn_batch_norm", "tests/operators/gpu_operators_test.cc"},
      {"_backward_cudnn_batch_norm", "tests/operators/gpu_operators_test.cc"},
      {"_batch_norm_training", "tests/operators/nn_test.cc (BatchNorm in training, hand values)"},
      {"_backward_batch_norm_training", "tests/operators/nn_test.cc (BatchNorm's gradients, hand values)"},
      {"_backward_pooling2d", "tests/operators/nn_test.cc (pooling's gradients against loops)"},
      {"_backward_FullyConnected_weight_bias", "tests/operators/dot_test.cc (FullyConnected's gradients, hand sums)"},
      {"CTCLoss", "tests/operators/ctc_test.cc (hand-counted alignments, the sum over every path)"},
      {"_image_imrotate", "tests/gluon/image_test.cc (hand-computed turns, zoom_in and zoom_out)"},
      {"_quantize_gradient", "tests/kvstore/gradient_compression_test.cc (hand-worked codes and residuals)"},
      {"_dequantize_sum", "tests/kvstore/gradient_compression_test.cc"},
      {"_contrib_box_nms", "tests/operators/detection_test.cc (boxes by hand: classes, thresholds, formats)"},
      {"_contrib_ROIAlign", "tests/operators/detection_test.cc (bins of a linear map by hand)"},
      {"_backward_ROIAlign", "tests/operators/detection_test.cc (finite differences)"},
      {"ROIPooling", "tests/operators/detection_test.cc (bins by hand)"},
      {"_backward_ROIPooling", "tests/operators/detection_test.cc (maxima by hand)"},
      {"_contrib_MultiBoxPrior", "tests/operators/detection_test.cc (anchors by hand)"},
      {"_contrib_bipartite_matching", "tests/operators/detection_test.cc (MXNet's example, topk, thresholds)"},
      {"_contrib_deformable_im2col", "deformable_convolution_test.cc (samples by hand, zero offsets against Convolution)"},
      {"_backward_deformable_im2col", "tests/autograd/gradient_check_test.cc (finite differences)"},
      {"_histogram", "the histogram cases of this file (through nd::histogram)"},
      {"_contrib_MultiProposal", "tests/operators/detection_test.cc (anchors, offsets, suppression by hand)"},
      {"_contrib_MultiBoxTarget", "tests/operators/detection_test.cc (matches, offsets and mined negatives by hand)"},
      {"_contrib_MultiBoxDetection", "tests/operators/detection_test.cc (decoded and suppressed boxes by hand)"},
      {"_contrib_box_encode", "tests/operators/detection_test.cc (targets by hand, decoded back)"}};
  for (const op::OpInfo& info : op::list_operators()) {
    INFO("operator with no value test: " << info.name);
    CHECK((ran.count(info.name) == 1 || tested_elsewhere.count(info.name) == 1));
  }
}
