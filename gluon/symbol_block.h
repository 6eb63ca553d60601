#pragma once
// SymbolBlock: a network given as a Symbol, run as a HybridBlock. Built from symbol files (imports, the other
// half of HybridBlock::export_, and files MXNet wrote), or from a part of another network's symbol sharing that
// network's parameters: the seed's feature extractor.
//
//   auto alexnet = gluon::model_zoo::vision::get_model("alexnet", {.pretrained = true, .prefix = "model_"});
//   auto out = (*alexnet)(sym::var("data", {.shape = Shape{1, 3, 224, 224}}));
//   gluon::SymbolBlock features(out.get_internals()["model_dense0_relu_fwd_output"], {sym::var("data")},
//                               alexnet->collect_params());
//   auto loaded = gluon::SymbolBlock::imports("net-symbol.json", {"data"}, "net-0000.params");
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/graph/symbol.h>

namespace mx::gluon {

class SymbolBlock : public HybridBlock {
 public:
  // `outputs` computed from the variables `inputs` (one; its name is what is fed), every other variable a
  // parameter: taken from `params` by name (shared, not copied), else a new parameter of unknown shape, inferred
  // at the first call.
  SymbolBlock(const sym::Symbol& outputs, const std::vector<sym::Symbol>& inputs, const ParameterDict& params = {});

  // Loads `symbol_file` and, unless empty, `param_file` ("arg:"/"aux:" names, or plain ones) onto `ctx`. Every
  // parameter the symbol needs must be in the file, and the file must hold nothing else: errors name the file
  // and the parameters. Without a parameter file the parameters' shapes are unknown until the first call infers
  // them from the input's (Symbol::infer_shape), initializing them then (MXNet's deferred initialization).
  static std::shared_ptr<SymbolBlock> imports(const std::string& symbol_file, const std::vector<std::string>& input_names,
                                              const std::string& param_file = "",
                                              const std::vector<Context>& ctx = {current_context()});

  // The first output; all of them with forward_all.
  NDArray forward(const NDArray& x) override;
  std::vector<NDArray> forward_all(const NDArray& x);
  std::string repr() const override;
  const sym::Symbol& symbol() const { return symbol_; }

 private:
  void learn_parameter_shapes(const NDArray& x, std::map<std::string, Parameter>& by_name);

  sym::Symbol symbol_;
  std::string input_name_;
};

}  // namespace mx::gluon
