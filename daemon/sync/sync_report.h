#pragma once
// Human and JSON renderings of a sync outcome (trustgatectl plan/sync, logs).
#include <ostream>
#include <string>

#include "daemon/sync/sync_engine.h"

namespace trustgate {

// User by user: "+ ..." granted, "- ..." revoked; then warnings, refusals and source errors.
void print_sync_outcome(std::ostream& out, const SyncOutcome& outcome);
std::string sync_outcome_json(const SyncOutcome& outcome);

}  // namespace trustgate
