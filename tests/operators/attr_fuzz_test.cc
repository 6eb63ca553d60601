// Every operator a symbol file can name, called with random attributes and random inputs: whatever the
// combination, the call returns arrays or throws mx::Error (at the call or at the sync point); it never crashes,
// aborts, hangs or lets another exception through. Symbol files and hybridized graphs reach operators this way
// with attributes nobody checked, so this is where bad input must be refused clearly.
//
// The test learns which attributes each operator reads (an unread one is refused as unknown), then draws calls
// from those keys, values around the edges (negative, zero, huge, malformed tuples, NaN) and small inputs of every
// dtype. MX_ATTR_FUZZ_ITERATIONS (default 4000) and MX_ATTR_FUZZ_SEED (default 1) run it longer or elsewhere.
#include <cstdint>
#include <cstdlib>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <mx/autograd/autograd.h>
#include <mx/ndarray/ndarray.h>
#include <mx/operators/symbolic.h>

namespace {

using mx::DType;
using mx::NDArray;
using mx::Shape;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::strtoull(text, nullptr, 10) : fallback;
}

// Keys MXNet's operators take; each operator is probed for the ones it reads.
const std::vector<std::string> kKeys = {
    "kernel", "stride", "pad", "dilate", "num_filter", "num_group", "no_bias", "layout", "num_hidden", "flatten",
    "act_type", "slope", "pool_type", "global_pool", "pooling_convention", "count_include_pad", "axis", "axes",
    "keepdims", "exclude", "shape", "reverse", "begin", "end", "step", "scalar", "eps", "momentum", "fix_gamma",
    "use_global_stats", "output_mean_var", "p", "mode", "transpose_a", "transpose_b", "num_outputs", "squeeze_axis",
    "dim", "repeats", "reps", "dtype", "k", "ret_typ", "is_ascend", "a_min", "a_max", "depth", "on_value",
    "off_value", "input_dim", "output_dim", "sparse_grad", "num_args", "lhs_begin", "lhs_end", "rhs_begin",
    "rhs_end", "sections", "indices", "size", "loc", "scale", "low", "high", "alpha", "beta", "lam", "ctx",
    "temperature", "use_length", "multi_output", "normalization", "grad_scale", "ignore_label", "use_ignore",
    "preserve_shape", "out_grad", "smooth_alpha", "cudnn_off", "cudnn_tune", "workspace", "adj", "target_shape",
    "lower", "rightside", "offset", "ord", "sparse_label", "from_logits", "begin_axis", "end_axis", "data_shape",
    "lhs_axes", "rhs_axes", "is_train", "t", "pad_width", "constant_value", "num_sections", "min_val", "max_val",
    "act", "squeeze", "upper", "kind", "dtype_out", "start", "stop", "infer_range", "new_axis_mask", "wrap",
    "clip", "max_norm", "init", "op_type", "name_in", "__shape__", "__dtype__"};

// Values at the edges of what any attribute accepts, and beyond.
const std::vector<std::string> kValues = {
    "0", "1", "2", "3", "-1", "-2", "-7", "7", "100000", "2147483648", "-2147483649", "9223372036854775807",
    "0.5", "-0.5", "1e308", "-1e308", "nan", "inf", "-inf", "1e-320", "True", "False", "true", "None", "", " ",
    "()", "(0,)", "(1,)", "(2,)", "(-1,)", "(0, 0)", "(1, 1)", "(2, 2)", "(3, 3)", "(-1, -1)", "(2, 0)",
    "(1, 1, 1)", "(2, 2, 2)", "(1, 2, 3, 4)", "(1, 1, 1, 1, 1, 1, 1)", "(100000, 100000)", "(2,", "(a, b)",
    "[2, 2]", "(None, 1)", "(1,,2)", "float32", "float16", "int32", "uint8", "bool", "float128", "relu",
    "sigmoid", "tanh", "softrelu", "softsign", "avg", "max", "sum", "lp", "valid", "full", "same", "NCHW",
    "NHWC", "NCW", "NCDHW", "instance", "channel", "batch", "null", "value", "indices", "both", "clip", "wrap",
    "raise", "fro", "always", "training", "abc", "\xff\xfe"};

const std::vector<DType> kDTypes = {DType::kFloat32, DType::kFloat32, DType::kFloat32, DType::kFloat64,
                                    DType::kFloat16, DType::kBFloat16, DType::kInt32, DType::kInt64,
                                    DType::kInt8,    DType::kUint8,    DType::kBool};

// Values that exercise indices, divisions and NaN paths alike.
const std::vector<double> kElements = {0, 1, -1, 2, 3, -3, 0.5, -0.25, 7, 100, 1e30, -1e30};

std::string describe(const std::string& op, const mx::op::Attrs& attrs, const std::vector<NDArray>& inputs) {
  std::ostringstream text;
  text << op << " {";
  for (const auto& [key, value] : attrs) text << ' ' << key << "=\"" << value << '"';
  text << " } inputs:";
  for (const NDArray& in : inputs) text << ' ' << in.shape().str() << ' ' << mx::dtype_name(in.dtype());
  return text.str();
}

class Fuzzer {
 public:
  explicit Fuzzer(std::uint64_t seed) : rng_(seed) {}

  template <class T>
  const T& pick(const std::vector<T>& from) {
    return from[std::uniform_int_distribution<std::size_t>(0, from.size() - 1)(rng_)];
  }
  int number(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  Shape shape() {
    std::vector<std::int64_t> dims(static_cast<std::size_t>(number(0, 4)));
    for (auto& d : dims) d = number(0, 9) == 0 ? 0 : number(1, 4);
    return Shape(dims);
  }

  NDArray array(const Shape& shape, DType dtype) {
    std::vector<double> values(static_cast<std::size_t>(shape.size()));
    for (double& v : values) v = pick(kElements);
    NDArray a(shape, mx::cpu(), dtype);
    a.copy_from_host(values.data(), DType::kFloat64, values.size());
    return a;
  }

  // Inputs of one shape (most operators want them alike), now and then one of another.
  std::vector<NDArray> inputs(int count) {
    const Shape common = shape();
    const DType dtype = pick(kDTypes);
    std::vector<NDArray> result;
    for (int i = 0; i < count; ++i) {
      const bool odd = number(0, 5) == 0;
      result.push_back(array(odd ? shape() : common, odd ? pick(kDTypes) : dtype));
    }
    return result;
  }

 private:
  std::mt19937_64 rng_;
};

// Runs one call to its end: every output read back, and under record its backward too.
void call_to_the_end(const std::string& op, const mx::op::Attrs& attrs, std::vector<NDArray> inputs, bool record) {
  if (!record) {
    for (const NDArray& out : mx::op::call_symbol_op(op, attrs, inputs)) out.wait_to_read();
    return;
  }
  for (NDArray& in : inputs) {
    if (mx::is_floating(in.dtype())) in.attach_grad();
  }
  std::vector<NDArray> outs;
  {
    mx::autograd::record scope;
    outs = mx::op::call_symbol_op(op, attrs, inputs);
  }
  if (!outs.empty()) mx::autograd::backward(outs);
  for (const NDArray& in : inputs) {
    if (mx::is_floating(in.dtype())) in.grad().wait_to_read();
  }
}

// What the fuzzer learns of an operator before calling it at random: how many inputs it takes, the keys it
// reads and, per key, the values that parse (so that most calls get past parsing to the computation).
struct Profile {
  int inputs = -1;  // unknown
  std::vector<std::string> keys;
  std::map<std::string, std::vector<std::string>> values;
};

// The call's error message, "" when it ran; an exception other than mx::Error is a finding.
std::string error_of(const std::string& op, const mx::op::Attrs& attrs, const std::vector<NDArray>& inputs,
                     std::vector<std::string>& failures) {
  try {
    call_to_the_end(op, attrs, inputs, false);
  } catch (const mx::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    failures.push_back(describe(op, attrs, inputs) + ": " + e.what());
    return e.what();
  }
  return "";
}

Profile learn(const std::string& op, Fuzzer& fuzzer, std::vector<std::string>& failures) {
  Profile profile;
  const std::vector<NDArray> probes = fuzzer.inputs(4);
  auto first = [&](std::size_t n) { return std::vector<NDArray>(probes.begin(), probes.begin() + n); };
  // "takes 2 input(s), 1 given", "takes 3 inputs, the node has 1"
  static const std::regex takes("takes ([0-9]+) input");
  std::smatch match;
  for (std::size_t n = 0; n <= probes.size() && profile.inputs < 0; ++n) {
    const std::string error = error_of(op, {}, first(n), failures);
    if (std::regex_search(error, match, takes)) profile.inputs = std::stoi(match[1]);
  }
  const std::size_t n = profile.inputs >= 0 ? std::min<std::size_t>(profile.inputs, probes.size()) : 1;
  // A key the operator does not read is refused as unknown once the call gets to its attributes.
  for (const std::string& key : kKeys) {
    if (error_of(op, {{key, "1"}}, first(n), failures).find("unknown attribute(s) " + key + "=") == std::string::npos) {
      profile.keys.push_back(key);
    }
  }
  for (const std::string& key : profile.keys) {
    for (const std::string& value : kValues) {
      if (error_of(op, {{key, value}}, first(n), failures).find("attribute " + key + "=") == std::string::npos) {
        profile.values[key].push_back(value);
      }
    }
  }
  return profile;
}

}  // namespace

TEST_CASE("every symbol operator refuses random attributes and inputs with mx::Error, or runs", "[fuzz]") {
  const std::uint64_t iterations = env_number("MX_ATTR_FUZZ_ITERATIONS", 4000);
  Fuzzer fuzzer(env_number("MX_ATTR_FUZZ_SEED", 1));
  // The creation operators allocate what their shape attribute asks, and the fuzzer's shapes reach tens of
  // gigabytes: they are tested on their own (creation_test.cc), not at random.
  const std::set<std::string> creation = {"_full", "_zeros", "zeros", "_ones", "ones"};
  std::vector<std::string> ops;
  for (const std::string& op : mx::op::list_symbol_ops()) {
    if (!creation.contains(op)) ops.push_back(op);
  }
  REQUIRE(ops.size() > 50);

  std::vector<std::string> failures;
  std::vector<Profile> profiles;
  for (const std::string& op : ops) profiles.push_back(learn(op, fuzzer, failures));

  std::size_t ran = 0;
  for (std::uint64_t i = 0; i < iterations && failures.size() < 20; ++i) {
    const std::size_t which = static_cast<std::size_t>(fuzzer.number(0, static_cast<int>(ops.size()) - 1));
    const std::string& op = ops[which];
    const Profile& profile = profiles[which];
    mx::op::Attrs attrs;
    for (int k = fuzzer.number(0, 3); k > 0 && !profile.keys.empty(); --k) {
      const std::string& key = fuzzer.pick(profile.keys);
      const auto accepted = profile.values.find(key);
      const bool any = fuzzer.number(0, 4) == 0 || accepted == profile.values.end();
      attrs[key] = any ? fuzzer.pick(kValues) : fuzzer.pick(accepted->second);
    }
    const int count = profile.inputs >= 0 && fuzzer.number(0, 7) != 0 ? profile.inputs : fuzzer.number(0, 4);
    std::vector<NDArray> inputs = fuzzer.inputs(count);
    const bool record = fuzzer.number(0, 2) == 0;
    try {
      call_to_the_end(op, attrs, inputs, record);
      mx::nd::waitall();  // work nothing read (a backward's inner results) reports its error here
      ++ran;
    } catch (const mx::Error&) {
    } catch (const std::exception& e) {
      failures.push_back(describe(op, attrs, inputs) + (record ? " (recorded)" : "") + ": " + e.what());
    }
  }
  for (const std::string& f : failures) UNSCOPED_INFO(f);
  CHECK(failures.empty());
  // Not every call should be refused: the fuzzer must reach the operators' computations too.
  CHECK(ran > iterations / 20);
}
