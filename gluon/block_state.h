#pragma once
// A block's shared state (its copies share it): the block tree, MXNet naming and the hybridize cache. Private to
// gluon's sources.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <mx/gluon/block.h>
#include <mx/graph/executor.h>

namespace mx::gluon::detail {

// Shared by a block's copies. Not synchronized: a network is built and called from one thread at a time.
struct BlockState {
  std::vector<std::pair<std::string, std::shared_ptr<Block>>> children;
  std::vector<std::pair<std::string, Parameter>> parameters;
  // MXNet 1.x's prefix is scope_parent's prefix + own ("model0_" + "dense0_"). A block built in a scope is
  // numbered when it is registered (or first named), not when built: C++ leaves the order of a call's
  // arguments open, and net.add(Dense(4), Dense(2)) must number them as Python does, left to right.
  std::string alias;
  Prefix given;
  std::optional<std::string> own;
  bool scoped = false;                       // built inside scope_parent's name_scope()
  std::weak_ptr<BlockState> scope_parent;    // weak: the parent usually owns this block
  bool empty_prefix = false;                 // built with prefix "": its scope adds nothing
  bool prefixed_names = false;               // its parameters are named prefix + name
  std::map<std::string, int> counter;        // children numbered in its scope, per alias
  // hybridize: set while active, with the graphs traced so far.
  std::optional<HybridizeOptions> hybrid;
  std::shared_ptr<HybridCache> cache;
  std::optional<DType> amp;  // amp::convert_hybrid_block's target
  // Forward hooks by registration number, and register_op_hook's monitor.
  std::vector<std::pair<std::uint64_t, Block::ForwardPreHook>> pre_hooks;
  std::vector<std::pair<std::uint64_t, Block::ForwardHook>> hooks;
  std::uint64_t hooks_registered = 0;
  std::optional<graph::Monitor> op_hook;
};


}  // namespace mx::gluon::detail
