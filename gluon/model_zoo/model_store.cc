// get_model by name, and pretrained parameter files.
#include <mx/gluon/model_zoo/vision.h>

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>

#include <mx/ndarray/error.h>

namespace mx::gluon::model_zoo::vision {
namespace {

using Factory = std::function<Model(const ModelOptions&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = [] {
    std::map<std::string, Factory> t;
    t["alexnet"] = [](const ModelOptions& o) { return alexnet(o); };
    for (int n : {11, 13, 16, 19}) {
      t["vgg" + std::to_string(n)] = [n](const ModelOptions& o) { return vgg(n, false, o); };
      t["vgg" + std::to_string(n) + "_bn"] = [n](const ModelOptions& o) { return vgg(n, true, o); };
    }
    for (int v : {1, 2}) {
      for (int n : {18, 34, 50, 101, 152}) {
        t["resnet" + std::to_string(n) + "_v" + std::to_string(v)] = [v, n](const ModelOptions& o) {
          return resnet(v, n, o);
        };
      }
    }
    for (int n : {18, 34, 50, 101, 152}) {
      t["resnet" + std::to_string(n) + "_v1b"] = [n](const ModelOptions& o) { return resnet_v1b(n, o); };
    }
    for (int n : {121, 161, 169, 201}) {
      t["densenet" + std::to_string(n)] = [n](const ModelOptions& o) { return densenet(n, o); };
    }
    t["squeezenet1.0"] = [](const ModelOptions& o) { return squeezenet("1.0", o); };
    t["squeezenet1.1"] = [](const ModelOptions& o) { return squeezenet("1.1", o); };
    t["inceptionv3"] = [](const ModelOptions& o) { return inception_v3(o); };
    const std::pair<const char*, double> multipliers[] = {{"1.0", 1.0}, {"0.75", 0.75}, {"0.5", 0.5}, {"0.25", 0.25}};
    for (const auto& [text, m] : multipliers) {
      t[std::string("mobilenet") + text] = [m](const ModelOptions& o) { return mobilenet(m, o); };
      t[std::string("mobilenetv2_") + text] = [m](const ModelOptions& o) { return mobilenet_v2(m, o); };
    }
    return t;
  }();
  return table;
}

std::filesystem::path expand_home(const std::string& path) {
  if (path.rfind("~", 0) != 0) return path;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : "") / path.substr(path.size() > 1 && path[1] == '/' ? 2 : 1);
}

}  // namespace

Model get_model(const std::string& name, const ModelOptions& options) {
  const auto it = factories().find(name);
  if (it == factories().end()) {
    std::string known;
    for (const std::string& n : list_models()) known += (known.empty() ? "" : ", ") + n;
    throw Error("get_model: no model named '" + name + "' (the zoo has " + known + ")");
  }
  return it->second(options);
}

std::vector<std::string> list_models() {
  std::vector<std::string> names;
  for (const auto& item : factories()) names.push_back(item.first);
  return names;
}

namespace detail {

std::string pretrained_file(const std::string& name, const std::string& root) {
  const std::filesystem::path dir = expand_home(root);
  const std::filesystem::path exact = dir / (name + ".params");
  if (std::filesystem::exists(exact)) return exact.string();
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string file = entry.path().filename().string();
    if (file.rfind(name + "-", 0) == 0 && entry.path().extension() == ".params") return entry.path().string();
  }
  throw Error("get_model('" + name + "', pretrained): no parameter file " + exact.string() + " (or " + name +
              "-<hash>.params, as MXNet's model store names them) in " + dir.string() +
              "; put MXNet's pretrained file there, or pass .root");
}

void maybe_load_pretrained(HybridBlock& net, const std::string& name, const ModelOptions& options) {
  if (!options.pretrained) return;
  net.load_parameters(pretrained_file(name, options.root), {options.ctx});
}

}  // namespace detail
}  // namespace mx::gluon::model_zoo::vision
