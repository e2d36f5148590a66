#include "daemon/handoff/sqlite_handoff_ledger.h"

#include <SQLiteCpp/SQLiteCpp.h>

#include "daemon/handoff/db_access.h"

namespace trustgate {

Result<AuditRow> SqliteHandoffLedger::record_issue(const TicketRecord& ticket,
                                                   const AuditEvent& issued) {
  AuditRow row;
  auto stored = run_db(tickets_.db(), "store.io", [&](SQLite::Database& conn) {
    tickets_.insert_in(conn, ticket);
    row = audit_.insert_in(conn, issued);
  });
  if (!stored) return std::unexpected(stored.error());
  return row;
}

Result<std::optional<AuditRow>> SqliteHandoffLedger::record_redeem(const std::string& hash_hex,
                                                                   std::int64_t now,
                                                                   const Verdict& verdict) {
  std::optional<AuditRow> row;
  auto ran = run_db(tickets_.db(), "store.io", [&](SQLite::Database& conn) {
    const ConsumeResult consumed = tickets_.consume_in(conn, hash_hex, now);
    const AuditEvent event = verdict(consumed);
    row = consumed.outcome == ConsumeOutcome::Consumed ? audit_.insert_in(conn, event)
                                                       : audit_.insert_failure_in(conn, event);
  });
  if (!ran) return std::unexpected(ran.error());
  return row;
}

Result<void> SqliteHandoffLedger::record(const AuditEvent& event) { return audit_.record(event); }

Result<bool> SqliteHandoffLedger::record_failure(const AuditEvent& event) {
  return audit_.record_failure(event);
}

Result<std::size_t> SqliteHandoffLedger::purge_expired(std::int64_t before) {
  return tickets_.purge_expired(before);
}

}  // namespace trustgate
