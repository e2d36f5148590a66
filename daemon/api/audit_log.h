#pragma once
// The audit trail of every handoff issue/redeem and every manual association change: a table
// (audit_log) in the same SQLite file plus one spdlog line per event. Ticket values are never
// given to it. Thread-safe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "daemon/api/db_access.h"

namespace SQLite {
class Database;
}

namespace trustgate {

struct AuditEvent {
  std::int64_t at = 0;  // unix seconds; filled by record() when 0
  std::string decision_id;
  std::string action;  // "issue", "redeem", "associate", "dissociate"
  std::string client;  // the API client's id
  std::string user;    // the user's stable id when known, else what the caller asked for
  std::string institution;
  bool allowed = false;  // stored as "allow" / "deny"
  std::string reason;    // reason code (decision.h reason::*, or handoff/association codes)
};

struct AuditQuery {
  std::optional<std::string> user, institution, action;
  std::optional<bool> allowed;
  std::optional<std::int64_t> since, until;  // inclusive, unix seconds
  std::size_t limit = 100;                   // newest first
};

class AuditLog {
 public:
  // Creates the table when missing. `db` and `clock` must outlive the log.
  static Result<std::unique_ptr<AuditLog>> open(DbAccess& db, const Clock& clock);

  // Writes the row and the log line. A failure to write the row is returned (and logged).
  Result<void> record(AuditEvent event);
  Result<std::vector<AuditEvent>> query(const AuditQuery& q);

  // For writers that commit the row together with their own change (DbAccess::run on db()):
  // insert_in writes the row inside the caller's transaction (throws on failure; `at` must be
  // set), log_line writes the log line (call it once the row is committed, or on failure).
  void insert_in(SQLite::Database& conn, const AuditEvent& event);
  static void log_line(const AuditEvent& event);
  DbAccess& db() { return db_; }

 private:
  AuditLog(DbAccess& db, const Clock& clock) : db_(db), clock_(clock) {}
  DbAccess& db_;
  const Clock& clock_;
};

}  // namespace trustgate
