#include <mx/operators/symbolic.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <charconv>
#include <mutex>
#include <utility>

#include <mx/ndarray/error.h>
#include <mx/operators/composite_forms.h>
#include <mx/operators/tracing.h>

namespace mx::op {

// ---- attribute text ----

std::string attr_string(bool value) { return value ? "True" : "False"; }
std::string attr_string(std::int64_t value) { return std::to_string(value); }

std::string attr_string(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);  // shortest exact form
  std::string text(buffer, result.ptr);
  // As Python prints floats, which MXNet's files hold: "1.0", not "1".
  if (text.find_first_of(".eEn") == std::string::npos) text += ".0";
  return text;
}

std::string attr_string(std::span<const std::int64_t> tuple) {
  std::string text = "(";
  for (std::size_t i = 0; i < tuple.size(); ++i) text += (i ? ", " : "") + std::to_string(tuple[i]);
  return text + (tuple.size() == 1 ? ",)" : ")");
}

namespace {

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

template <class T>
bool parse_number(const std::string& text, T& value) {
  const std::string t = trimmed(text);
  const auto result = std::from_chars(t.data(), t.data() + t.size(), value);
  return result.ec == std::errc() && result.ptr == t.data() + t.size();
}

}  // namespace

const std::string* AttrReader::find(const std::string& key) {
  const auto it = attrs_.find(key);
  if (it == attrs_.end()) return nullptr;
  read_.push_back(key);
  return &it->second;
}

void AttrReader::fail(const std::string& key, const std::string& text, const char* expected) const {
  throw Error(op_ + ": attribute " + key + "=\"" + text + "\" is not " + expected);
}

void AttrReader::read(const std::string& key, bool& value) {
  const std::string* text = find(key);
  if (text == nullptr) return;
  std::string lower = trimmed(*text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "1") {
    value = true;
  } else if (lower == "false" || lower == "0") {
    value = false;
  } else {
    fail(key, *text, "a boolean (True or False)");
  }
}

void AttrReader::read(const std::string& key, std::int64_t& value) {
  const std::string* text = find(key);
  if (text != nullptr && !parse_number(*text, value)) fail(key, *text, "an integer");
}

void AttrReader::read(const std::string& key, int& value) {
  const std::string* text = find(key);
  if (text != nullptr && !parse_number(*text, value)) fail(key, *text, "an integer");
}

void AttrReader::read(const std::string& key, double& value) {
  const std::string* text = find(key);
  if (text == nullptr) return;
  const std::string t = trimmed(*text);
  if (t == "inf" || t == "-inf") {
    value = t[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  } else if (!parse_number(t, value)) {
    fail(key, *text, "a number");
  }
}

void AttrReader::read(const std::string& key, std::optional<double>& value) {
  const std::string* text = find(key);
  if (text == nullptr || trimmed(*text) == "None") return;
  double parsed = 0;
  if (!parse_number(*text, parsed)) fail(key, *text, "a number or None");
  value = parsed;
}

void AttrReader::read(const std::string& key, std::string& value) {
  if (const std::string* text = find(key)) value = *text;
}

void AttrReader::read(const std::string& key, DType& value) {
  const std::string* text = find(key);
  if (text == nullptr) return;
  try {
    value = dtype_from_name(trimmed(*text));
  } catch (const Error&) {
    fail(key, *text, "a dtype (float32, float64, float16, bfloat16, int32, ...)");
  }
}

void AttrReader::read(const std::string& key, std::vector<std::int64_t>& tuple) {
  const std::string* text = find(key);
  if (text == nullptr) return;
  std::string body = trimmed(*text);
  if (!body.empty() && (body.front() == '(' || body.front() == '[')) {
    const char close = body.front() == '(' ? ')' : ']';
    if (body.back() != close) fail(key, *text, "a tuple such as (3, 3)");
    body = body.substr(1, body.size() - 2);
  }
  std::vector<std::int64_t> values;
  std::size_t start = 0;
  while (start <= body.size()) {
    const std::size_t comma = std::min(body.find(',', start), body.size());
    const std::string item = trimmed(body.substr(start, comma - start));
    if (!item.empty()) {
      std::int64_t v = 0;
      if (item == "None") {
        v = 0;  // MXNet's "no value" in a shape-like tuple
      } else if (!parse_number(item, v)) {
        fail(key, *text, "a tuple of integers such as (3, 3)");
      }
      values.push_back(v);
    } else if (comma < body.size() && !values.empty() && trimmed(body.substr(comma + 1)).empty()) {
      break;  // "(3,)"
    } else if (comma < body.size()) {
      fail(key, *text, "a tuple of integers such as (3, 3)");
    }
    start = comma + 1;
  }
  tuple = std::move(values);
}

void AttrReader::read(const std::string& key, std::vector<int>& tuple) {
  std::vector<std::int64_t> wide;
  if (!has(key)) return;
  read(key, wide);
  tuple.assign(wide.begin(), wide.end());
}

void AttrReader::ignore(const std::string& key, std::vector<std::string> accepted) {
  const std::string* text = find(key);
  if (text == nullptr || accepted.empty()) return;
  const std::string t = trimmed(*text);
  if (std::find(accepted.begin(), accepted.end(), t) == accepted.end()) {
    std::string list;
    for (const std::string& a : accepted) list += (list.empty() ? "" : ", ") + a;
    throw Error(op_ + ": attribute " + key + "=\"" + *text + "\" is not supported (mxpp supports " + list + ")");
  }
}

void AttrReader::finish() const {
  std::string unknown;
  for (const auto& [key, value] : attrs_) {
    const bool hidden = key.size() > 4 && key.starts_with("__") && key.ends_with("__");
    if (hidden || key == "name" || std::find(read_.begin(), read_.end(), key) != read_.end()) continue;
    unknown += (unknown.empty() ? "" : ", ") + key + "=\"" + value + "\"";
  }
  if (!unknown.empty()) throw Error(op_ + ": unknown attribute(s) " + unknown);
}

// ---- calls by name ----

namespace {

struct SymbolRegistry {
  std::mutex mutex;
  std::map<std::string, std::shared_ptr<const SymbolOp>> ops;
};

SymbolRegistry& symbol_registry() {
  static SymbolRegistry* instance = new SymbolRegistry;  // never destroyed, as the operator registry
  return *instance;
}

void ensure_composite_forms() {
  static const bool registered = (register_composite_forms(), true);
  (void)registered;
}

}  // namespace


void register_symbol_op(const std::string& name, SymbolOp op, const std::vector<std::string>& aliases) {
  SymbolRegistry& r = symbol_registry();
  auto shared = std::make_shared<const SymbolOp>(std::move(op));
  std::lock_guard lock(r.mutex);
  for (const std::string& n : aliases) {
    if (r.ops.contains(n)) throw Error("symbol operator '" + n + "' is registered twice");
  }
  if (!r.ops.emplace(name, shared).second) throw Error("symbol operator '" + name + "' is registered twice");
  for (const std::string& n : aliases) r.ops.emplace(n, shared);
}

const SymbolOp* find_symbol_op(const std::string& name) {
  ensure_composite_forms();
  return find_registered_symbol_op(name);
}

const SymbolOp* find_registered_symbol_op(const std::string& name) {
  SymbolRegistry& r = symbol_registry();
  std::lock_guard lock(r.mutex);
  const auto it = r.ops.find(name);
  return it == r.ops.end() ? nullptr : it->second.get();
}

std::vector<std::string> list_symbol_ops() {
  ensure_composite_forms();
  SymbolRegistry& r = symbol_registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& [name, op] : r.ops) names.push_back(name);
  return names;
}

std::vector<NDArray> call_symbol_op(const std::string& name, const Attrs& attrs, std::span<const NDArray> inputs) {
  const SymbolOp* op = find_symbol_op(name);
  if (op == nullptr) throw Error("symbol: operator '" + name + "' is not supported by mxpp");
  return op->call(attrs, inputs);
}

// ---- composites and name scopes ----

Composite::Composite(const char* op, std::span<const NDArray> inputs) : op_(op), tracer_(thread_tracer()) {
  if (tracer_ == nullptr) return;
  inputs_.assign(inputs.begin(), inputs.end());
  tracer_->enter_composite();
}

Composite::~Composite() {
  if (tracer_ != nullptr) tracer_->leave_composite(op_, {}, inputs_, {});
}

const NDArray& Composite::finish(Attrs attrs, const NDArray& output) {
  finish(std::move(attrs), std::span(&output, 1));
  return output;
}

void Composite::finish(Attrs attrs, std::span<const NDArray> outputs) {
  if (tracer_ == nullptr) return;
  Tracer* tracer = std::exchange(tracer_, nullptr);
  tracer->leave_composite(op_, std::move(attrs), inputs_, outputs);
}

SymbolNameScope::SymbolNameScope(const std::string& prefix, bool first_is_fwd) : tracer_(thread_tracer()) {
  if (tracer_ != nullptr) tracer_->enter_name_scope(prefix, first_is_fwd);
}

SymbolNameScope::~SymbolNameScope() {
  if (tracer_ != nullptr) tracer_->leave_name_scope();
}

}  // namespace mx::op
