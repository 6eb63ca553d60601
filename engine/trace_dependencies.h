#pragma once
// Which operations each traced operation waited on, derived when events are read back from the writes each of its
// variables had seen (trace::VarTouch): at push, the engine only keeps each variable's last traced writer.
#include <vector>

#include <mx/engine/trace.h>

namespace mx::engine::trace::detail {

// Fills `waited_on` of every operation among `events` from the touches of all of them (sorted, each id once),
// then drops the touches. An operation waited on the last writer of each variable it touched and, where it wrote
// the variable, on the readers that saw that same writer (the first 256 in push order: a weight read by every
// step of a long loop would otherwise tie each of its writers to thousands). Readers are found among `events`
// only: those that ran before the trace was last cleared or taken are not.
void derive_waited_on(std::vector<Event>& events);

}  // namespace mx::engine::trace::detail
