#pragma once
// The audit log's hash chain (internal to daemon/handoff; the format is in audit_log.h's file
// comment): verifying it and hashing a log written before it existed.
#include <cstdint>
#include <string>

#include "daemon/handoff/audit_log.h"

namespace SQLite {
class Database;
}

namespace trustgate::audit_chain {

inline const std::string kInsert =
    "INSERT INTO audit_log (id, at, decision_id, action, client, user, institution, decision, "
    "reason, events, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";

// Thrown by walk_chain for a signed checkpoint when there is no key to check it with.
struct KeyMissing {};

// Walks the chain up to row `upto` (inclusive), counting rows into `report` and setting
// report.broken at the first broken link; with `check_tail`, the rows after the checkpoint too.
void walk_chain(SQLite::Database& conn, const std::string& key, std::int64_t upto, bool check_tail,
                ChainReport& report);

// Version 0 -> 1: existing rows hashed in id order, from the genesis hash.
void migrate_to_chain(SQLite::Database& conn);

}  // namespace trustgate::audit_chain
