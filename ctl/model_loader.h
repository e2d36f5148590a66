#pragma once
// The served view of the store for read commands: the current revision with manual
// associations merged in, exactly as trustgated serves it.
#include <memory>
#include <optional>

#include <Poco/Dynamic/Var.h>

#include "ctl/context.h"
#include "daemon/serving/snapshot.h"

namespace trustgate::ctl {

struct LoadedView {
  std::unique_ptr<Store> store;
  SnapshotPtr snapshot;  // never null
};

// Prints the reason and returns nullopt when there is no config, store or revision.
std::optional<LoadedView> load_view(Context& ctx);

// Prints a Poco JSON value followed by a newline.
void print_json(Context& ctx, const Poco::Dynamic::Var& value);

}  // namespace trustgate::ctl
