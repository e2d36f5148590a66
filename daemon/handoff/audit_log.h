#pragma once
// The audit trail of every handoff issue/redeem and every manual association change: a table
// (audit_log) in the handoff database plus one spdlog line per event. Ticket values are never
// given to it. Thread-safe.
//
// Tamper evidence: the rows form a hash chain. Row ids are contiguous (1, 2, 3, ...; each row
// is written with id = previous id + 1) and every row stores prev_hash (the hash of the row
// before it) and its own hash:
//
//   hash = lower-case hex of SHA-256 over the concatenation of the netstrings of
//            "trustgate-audit-v1", prev_hash, id, at, decision_id, action, client, user,
//            institution, decision, reason, events
//   netstring(s) = <decimal byte length of s> ":" s ","          ("5:hello,", "0:,")
//   integers (id, at, events) in decimal ASCII, no leading zeros, "-" when negative;
//   decision is "allow" or "deny"; strings are their bytes as stored.
//   prev_hash of the first row: the checkpoint's last_hash, or 64 "0" when there is none.
//
// Retention deletes the oldest rows and writes the checkpoint (table audit_checkpoint, one
// row): the id and hash of the last deleted row, when, and
//
//   signature = lower-case hex of HMAC-SHA256(key, netstring("trustgate-audit-checkpoint-v1")
//               netstring(last_id) netstring(last_hash) netstring(at))
//
// under a 32-byte key kept in a private file beside the database (audit_key_path). HMAC, not a
// public-key signature: the only verifier is trustgatectl on the same host with the same
// file access as the daemon, so a key pair would add key-format handling and no protection.
// The chain alone shows changed, deleted, inserted or reordered rows to anyone who can
// recompute it; rewriting the whole chain from a point on needs no key, which is why every
// row's hash also goes to the log line (journald keeps an independent copy of the chain).
//
// Every write of a row reads the previous row's hash inside the same write transaction
// (GroupCommitDb's batch, or BEGIN IMMEDIATE of its own when called outside one), so
// concurrent writers, in one process or several, cannot fork the chain.
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/error.h"
#include "common/random.h"
#include "daemon/handoff/db_access.h"

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
  // How many events the row stands for: 1, or for a summary of rate-limited failures
  // (reason "suppressed_failures") how many failures it counts.
  std::int64_t events = 1;
};

inline constexpr std::string_view kSuppressedFailures = "suppressed_failures";

struct AuditQuery {
  // Each list matches any of its values (a user's stable id and the name a caller asked for;
  // an institution and its "institution:<id>" association target); empty: any.
  std::vector<std::string> users, institutions, clients, actions;
  std::optional<bool> allowed;
  std::optional<std::int64_t> since, until;  // inclusive, unix seconds
  std::size_t limit = 100;                   // newest first
};

struct AuditOptions {
  // Retention: rows older than this many days are deleted (0: no age limit) ...
  int retention_days = 365;
  // ... and so are the oldest rows beyond this many (0: no count limit).
  std::int64_t max_rows = 5'000'000;
  // Failures that changed nothing (no ticket issued or burnt) get a row of their own at most
  // this often per client, action and second (0: no limit); the rest are counted in one
  // summary row.
  int failure_rows_per_second = 5;
  // The checkpoint key (raw bytes). Needed to cut (retention) and to verify a checkpoint.
  std::string checkpoint_key;
  std::int64_t retention_batch = 10'000;  // rows deleted per write transaction
};

// Where a written row landed.
struct AuditRow {
  std::int64_t id = 0;
  std::string hash;
};

// The chain's hash of one row (see the file comment).
std::string audit_row_hash(std::string_view prev_hash, std::int64_t id, const AuditEvent& e);
// The checkpoint's signature (see the file comment).
std::string audit_checkpoint_signature(std::string_view key, std::int64_t last_id,
                                       std::string_view last_hash, std::int64_t at);
inline const std::string kGenesisHash(64, '0');

struct ChainBreak {
  std::int64_t row_id = 0;  // the first row whose link is broken (for a checkpoint: its last_id)
  std::string what;         // what differs, for humans
};

struct ChainReport {
  std::int64_t rows = 0;                   // rows checked
  std::optional<std::int64_t> checkpoint;  // the checkpoint's last_id, when there is one
  std::optional<ChainBreak> broken;        // nullopt: the whole chain verifies
  bool ok() const { return !broken.has_value(); }
};

struct RetentionResult {
  std::int64_t deleted = 0;
  std::optional<std::int64_t> checkpoint;  // the last deleted row, when any was deleted
};

class AuditLog {
 public:
  // Creates or migrates the tables (table audit_schema holds the version: 0 or absent = no
  // chain, 1 = the chain; migrating to 1 hashes the existing rows in id order). `db` and `clock`
  // must outlive the log. Fails ("audit.schema") on a newer schema.
  static Result<std::unique_ptr<AuditLog>> open(DbAccess& db, const Clock& clock,
                                                AuditOptions options = {});
  static constexpr int kSchemaVersion = 1;

  // Writes the row and the log line. A failure to write the row is returned (and logged).
  Result<void> record(AuditEvent event);
  // The same for a failure that changed nothing: rate-limited per client and action. Returns
  // whether the event got a row of its own (false: it was counted for a summary row).
  Result<bool> record_failure(AuditEvent event);
  Result<std::vector<AuditEvent>> query(const AuditQuery& q);

  // For writers that commit the row together with their own change (DbAccess::run on db()):
  // insert_in writes the row inside the caller's transaction (throws on failure; `at` must be
  // set), log_line writes the log line (call it once the row is committed, or on failure).
  AuditRow insert_in(SQLite::Database& conn, const AuditEvent& event);
  // insert_in for a failure that changed nothing: nullopt when rate-limited (no row; counted).
  // A summary of earlier suppressed failures of the same client and action is written first.
  std::optional<AuditRow> insert_failure_in(SQLite::Database& conn, const AuditEvent& event);
  static void log_line(const AuditEvent& event, const AuditRow* row = nullptr);
  DbAccess& db() { return db_; }

  // Writes the summary rows of suppressed failures whose second has passed. Returns how many.
  Result<std::size_t> flush_suppressed();
  // How many failures have been suppressed (counted in summaries) since start.
  std::uint64_t suppressed_total() const;

  // Deletes the rows beyond the retention limits, oldest first, in batches, each batch with a
  // new signed checkpoint. Refuses ("audit.key") without a key, and ("audit.broken") to cut
  // rows that do not verify: the evidence stays.
  Result<RetentionResult> enforce_retention();

  // Walks the chain from the checkpoint (or the start) to the last row. A checkpoint without
  // a key to check it is an error ("audit.key"), not a break.
  Result<ChainReport> verify();

 private:
  AuditLog(DbAccess& db, const Clock& clock, AuditOptions options)
      : db_(db), clock_(clock), options_(std::move(options)) {}
  struct Pending {  // rate-limit state of one (client, action)
    std::int64_t second = 0;
    int rows = 0;
    std::int64_t suppressed = 0;  // not yet in a summary row
    std::int64_t last_at = 0;
  };
  struct Admission {
    bool own_row = false;               // the event gets a row of its own
    std::optional<AuditEvent> summary;  // a summary row due first (earlier suppressed failures)
  };
  Admission admit(const AuditEvent& event);
  std::optional<AuditRow> write_admitted(SQLite::Database& conn, const Admission& admission,
                                         const AuditEvent& event);
  // Appends one row; the caller holds a write transaction.
  AuditRow append(SQLite::Database& conn, const AuditEvent& event);

  DbAccess& db_;
  const Clock& clock_;
  const AuditOptions options_;
  mutable std::mutex limit_mutex_;
  std::map<std::pair<std::string, std::string>, Pending> pending_;  // GUARDED_BY(limit_mutex_)
  std::uint64_t suppressed_total_ = 0;                              // GUARDED_BY(limit_mutex_)
};

// The checkpoint key: 32 random bytes, hex, in a file created 0600. Loads it, or creates it
// (with `random`) when missing. Refuses a key file others can read.
Result<std::string> load_or_create_audit_key(const std::string& path, RandomSource& random);
// Loads the key; nullopt when the file does not exist.
Result<std::optional<std::string>> read_audit_key(const std::string& path);

}  // namespace trustgate
