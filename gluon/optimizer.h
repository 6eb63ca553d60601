#pragma once
// Gluon reaches the optimizers and schedules as MXNet's users do from gluon.Trainer: gluon::optimizer::SGD is
// mx::optimizer::SGD, a layer below so that the kvstore can run them too.
#include <mx/optimizer/lr_scheduler.h>
#include <mx/optimizer/optimizer.h>

namespace mx::gluon {
namespace optimizer = ::mx::optimizer;
namespace lr_scheduler = ::mx::lr_scheduler;
}  // namespace mx::gluon
