#pragma once
// The handoff ledger in SQLite: a TicketStore and an AuditLog on one DbAccess (the handoff
// database), each operation one DbAccess::run, so a ticket's write and its audit row commit
// together (GroupCommitDb batches concurrent operations into one commit).
#include "daemon/handoff/handoff_ledger.h"

namespace trustgate {

class SqliteHandoffLedger final : public HandoffLedger {
 public:
  // `tickets` and `audit` must share one DbAccess and outlive the ledger.
  SqliteHandoffLedger(TicketStore& tickets, AuditLog& audit) : tickets_(tickets), audit_(audit) {}

  Result<AuditRow> record_issue(const TicketRecord& ticket, const AuditEvent& issued) override;
  Result<std::optional<AuditRow>> record_redeem(const std::string& hash_hex, std::int64_t now,
                                                const Verdict& verdict) override;
  Result<void> record(const AuditEvent& event) override;
  Result<bool> record_failure(const AuditEvent& event) override;
  Result<std::size_t> purge_expired(std::int64_t before) override;

 private:
  TicketStore& tickets_;
  AuditLog& audit_;
};

}  // namespace trustgate
