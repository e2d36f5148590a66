#pragma once
// One-time handoff tickets, persisted in SQLite (table handoff_tickets, created by the
// constructor). Only SHA-256(ticket) is stored: the ticket itself exists only in the issue
// response. Thread-safe (all calls go through the DbAccess).
#include <cstdint>
#include <optional>
#include <string>

#include "common/error.h"
#include "daemon/handoff/db_access.h"

namespace SQLite {
class Database;
}

namespace trustgate {

struct TicketRecord {
  std::string hash_hex;  // SHA-256 of the ticket text, hex
  std::string user_id;
  std::string institution;
  std::string client;  // the issuing client's id
  bool mfa = false;
  std::int64_t auth_time = 0;  // unix seconds, as the site reported it
  std::int64_t issued_at = 0;
  std::int64_t expires_at = 0;
  std::optional<std::int64_t> consumed_at;
  std::string decision_id;  // of the issue decision
};

enum class ConsumeOutcome {
  Consumed,         // this call consumed it (the record is returned)
  AlreadyConsumed,  // it existed but was consumed before
  Unknown,          // no such ticket (never issued, or purged)
};

struct ConsumeResult {
  ConsumeOutcome outcome = ConsumeOutcome::Unknown;
  std::optional<TicketRecord> record;  // set when Consumed or AlreadyConsumed
};

class TicketStore {
 public:
  // Creates the table when missing. `db` must outlive the store.
  static Result<std::unique_ptr<TicketStore>> open(DbAccess& db);

  Result<void> insert(const TicketRecord& record);

  // Atomically marks the ticket consumed at `now`, once: of any number of concurrent callers
  // exactly one gets Consumed. Expiry is NOT checked here (the caller does, after burning).
  Result<ConsumeResult> consume(const std::string& hash_hex, std::int64_t now);

  // Deletes tickets whose expiry is before `before`. Returns how many were deleted.
  Result<std::size_t> purge_expired(std::int64_t before);

  // The same two writes inside a transaction the caller already holds (DbAccess::run on db()),
  // so that a ticket change and its audit row commit together. Throw on failure.
  void insert_in(SQLite::Database& conn, const TicketRecord& record);
  ConsumeResult consume_in(SQLite::Database& conn, const std::string& hash_hex, std::int64_t now);
  DbAccess& db() { return db_; }

 private:
  explicit TicketStore(DbAccess& db) : db_(db) {}
  DbAccess& db_;
};

}  // namespace trustgate
