#pragma once
// Shared pieces of the equivalence tests (issue 14): an incremental source's view, after live
// changes, must equal a fresh full read of the same directory, as a canonical snapshot and as
// the mapped model.
#include <chrono>
#include <functional>
#include <string>

#include "connectors/directory_source.h"
#include "mapping/directory_snapshot.h"

namespace trustgate::equivalence {

// The integer in environment variable `name` (at least 1), or `fallback` when it is unset.
int env_int(const char* name, int fallback);

// The first line where `incremental` and `full` differ, for a failure message.
std::string first_difference(const std::string& incremental, const std::string& full);

// Text form of a snapshot's mapped model (equal texts: equal models).
using ModelFn = std::function<std::string(const DirectorySnapshot&)>;

// Waits for changes on `source` (200 ms at a time) and takes its snapshot until the snapshot's
// canonical form (ldap_test::canonical) and its model equal those of `want`, or `patience`
// has passed. Returns "" when they are equal, else what still differs (or the source's error).
std::string settle(DirectorySource& source, const DirectorySnapshot& want, const ModelFn& model_of,
                   std::chrono::seconds patience);

}  // namespace trustgate::equivalence
