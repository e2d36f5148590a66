#pragma once
// The served view of the store for read commands: the current revision with manual
// associations merged in, exactly as trustgated serves it.
#include <memory>

#include <Poco/Dynamic/Var.h>

#include "ctl/context.h"
#include "daemon/serving/snapshot.h"

namespace trustgate::ctl {

struct LoadedView {
  std::unique_ptr<Store> store;
  SnapshotPtr snapshot;  // never null
};

// The view, or the exit code after printing why not: kExitUsage for a config with errors,
// kExitUnavailable for a store that cannot be opened or read, kExitNo for no revision yet.
OrExit<LoadedView> load_view(const Context& ctx);

// Prints a Poco JSON value followed by a newline.
void print_json(Context& ctx, const Poco::Dynamic::Var& value);

}  // namespace trustgate::ctl
